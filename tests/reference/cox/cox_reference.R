# Reference Cox fits for tests/test_cox.py and tests/test_cox_zph.py.
# Run from the repository root after export_data.py:
#   Rscript tests/reference/cox/cox_reference.R
# R 4.2, survival 3.5-3. Every fit uses control = coxph.control(eps = 1e-12, iter.max = 100)
# so the estimates are converged far below the tests' rel = 1e-6 tolerance.
suppressPackageStartupMessages(library(survival))
here <- "tests/reference/cox"
fmt <- function(x) sprintf("%.17g", x)
# coxph.control warns that toler.chol (default eps^0.75 = 1.8e-12) should be < eps; harmless here.
ctl <- suppressWarnings(coxph.control(eps = 1e-12, iter.max = 100))

specs <- list(
  list(name = "rossi", file = "rossi.csv", time = "week", event = "arrest",
       rhs = "fin + age + race + wexp + mar + paro + prio_group",
       factors = list(prio_group = c("1-3", "0", "4+"))),
  # categorical covariates only: many tied linear predictors (concordance tied.x) and times
  list(name = "rossi_cat", file = "rossi.csv", time = "week", event = "arrest",
       rhs = "fin + prio_group", factors = list(prio_group = c("4+", "0", "1-3"))),
  list(name = "lung", file = "lung.csv", time = "time", event = "status",
       rhs = "age + sex + ph_ecog",
       factors = list(sex = c("male", "female"), ph_ecog = c("1", "0", "2", "3"))),
  list(name = "veterans", file = "veterans.csv", time = "time", event = "status",
       rhs = "karno + age + celltype + trt",
       factors = list(celltype = c("large", "adeno", "smallcell", "squamous"),
                      trt = c("standard", "test"))),
  list(name = "gbsg2", file = "gbsg2.csv", time = "time", event = "cens",
       rhs = "age + horTh + tsize + tgrade + pnodes + progrec",
       factors = list(horTh = c("no", "yes"), tgrade = c("II", "I", "III")))
)

coef_rows <- list(); stat_rows <- list(); zph_rows <- list()
for (s in specs) {
  d <- read.csv(file.path(here, s$file), stringsAsFactors = FALSE,
                colClasses = setNames(rep("character", length(s$factors)), names(s$factors)))
  # factor levels in the order given: the first is the reference (non-default for several)
  for (f in names(s$factors)) d[[f]] <- factor(d[[f]], levels = s$factors[[f]])
  form <- as.formula(paste0("Surv(", s$time, ", ", s$event, ") ~ ", s$rhs))
  for (ties in c("efron", "breslow")) {
    fit <- coxph(form, data = d, ties = ties, control = ctl)
    sm <- summary(fit)
    cf <- sm$coefficients
    coef_rows[[length(coef_rows) + 1]] <- data.frame(
      dataset = s$name, ties = ties, term = rownames(cf), coef = fmt(cf[, "coef"]),
      se = fmt(cf[, "se(coef)"]), z = fmt(cf[, "z"]), p = fmt(cf[, "Pr(>|z|)"]),
      lower = fmt(sm$conf.int[, "lower .95"]), upper = fmt(sm$conf.int[, "upper .95"]))
    stat_rows[[length(stat_rows) + 1]] <- data.frame(
      dataset = s$name, ties = ties, n = fit$n, nevent = fit$nevent,
      dropped = length(fit$na.action),
      loglik0 = fmt(fit$loglik[1]), loglik1 = fmt(fit$loglik[2]),
      lr = fmt(sm$logtest["test"]), lr_df = sm$logtest["df"], lr_p = fmt(sm$logtest["pvalue"]),
      # summary()'s waldtest is rounded to 2 decimals; fit$wald.test is the full value
      wald = fmt(fit$wald.test), wald_df = sm$waldtest["df"],
      wald_p = fmt(pchisq(fit$wald.test, sm$waldtest["df"], lower.tail = FALSE)),
      score = fmt(sm$sctest["test"]), score_df = sm$sctest["df"],
      score_p = fmt(sm$sctest["pvalue"]),
      concordance = fmt(sm$concordance[1]), concordance_se = fmt(sm$concordance[2]),
      iter = fit$iter)
    zp <- cox.zph(fit, transform = "km")
    tb <- zp$table
    zph_rows[[length(zph_rows) + 1]] <- data.frame(
      dataset = s$name, ties = ties, term = rownames(tb), chisq = fmt(tb[, "chisq"]),
      df = tb[, "df"], p = fmt(tb[, "p"]))
    res <- as.data.frame(matrix(fmt(zp$y), nrow = nrow(zp$y)))
    names(res) <- colnames(zp$y)
    res <- cbind(x = fmt(zp$x), time = fmt(zp$time), res)
    write.csv(res, file.path(here, paste0("zph_resid_", s$name, "_", ties, ".csv")),
              row.names = FALSE, quote = FALSE)
  }
}
write.csv(do.call(rbind, coef_rows), file.path(here, "cox_coef.csv"), row.names = FALSE)
write.csv(do.call(rbind, stat_rows), file.path(here, "cox_stats.csv"), row.names = FALSE)
write.csv(do.call(rbind, zph_rows), file.path(here, "cox_zph.csv"), row.names = FALSE)

# Separation: all events in arm B, so the arm coefficient diverges. With R's default control
# coxph stops and warns "Loglik converged before variable 1; coefficient may be infinite.";
# with eps = 1e-12 it keeps iterating until the information for arm underflows the Cholesky
# tolerance and it reports the coefficient as NA (aliased). Both are recorded.
d <- read.csv(file.path(here, "separation.csv"), stringsAsFactors = FALSE)
d$arm <- factor(d$arm, levels = c("A", "B"))
sep_rows <- list()
for (control in c("default", "tight")) {
  msg <- character(0)
  fit <- withCallingHandlers(
    if (control == "default") coxph(Surv(time, event) ~ arm + age, data = d)
    else coxph(Surv(time, event) ~ arm + age, data = d, control = ctl),
    warning = function(w) { msg <<- c(msg, conditionMessage(w)); invokeRestart("muffleWarning") })
  sep_rows[[control]] <- data.frame(
    control = control, term = names(coef(fit)), coef = fmt(coef(fit)),
    se = fmt(sqrt(diag(fit$var))), iter = fit$iter, loglik1 = fmt(fit$loglik[2]),
    warning = if (length(msg)) paste(msg, collapse = " | ") else "")
  print(summary(fit))
}
write.csv(do.call(rbind, sep_rows), file.path(here, "separation_r.csv"), row.names = FALSE)
print(do.call(rbind, sep_rows))

# Non-convergence: iter.max = 1 stops after one Newton step (warning "Ran out of iterations
# and did not converge"); the coefficients are that step's.
d <- read.csv(file.path(here, "rossi.csv"), stringsAsFactors = FALSE,
              colClasses = c(prio_group = "character"))
d$prio_group <- factor(d$prio_group, levels = c("1-3", "0", "4+"))
fit <- suppressWarnings(coxph(Surv(week, arrest) ~ fin + age + race + wexp + mar + paro +
                                prio_group, data = d, control = coxph.control(iter.max = 1)))
write.csv(data.frame(term = names(coef(fit)), coef = fmt(coef(fit))),
          file.path(here, "nonconverged_r.csv"), row.names = FALSE)

# conf_level: 90% intervals, summary(fit, conf.int = 0.9)$conf.int on veterans (Efron).
d <- read.csv(file.path(here, "veterans.csv"), stringsAsFactors = FALSE)
d$celltype <- factor(d$celltype, levels = c("large", "adeno", "smallcell", "squamous"))
fit <- coxph(Surv(time, status) ~ karno + age + celltype + trt, data = d, control = ctl)
ci <- summary(fit, conf.int = 0.9)$conf.int
write.csv(data.frame(term = rownames(ci), lower = fmt(ci[, 3]),
                     upper = fmt(ci[, 4])),  # columns "lower .9", "upper .9"
          file.path(here, "veterans_ci90_r.csv"), row.names = FALSE)
