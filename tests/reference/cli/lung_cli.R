# Reference values for tests/test_cli.py: the CLI's JSON contract (issue 3) on R's lung data.
# Input: tests/reference/cli/lung.csv = lifelines.datasets.load_lung() written by pandas
# (R's survival::lung with status recoded 1/2 -> 0/1).
# Run from the repository root:  Rscript tests/reference/cli/lung_cli.R > tests/reference/cli/lung_cli.json
suppressPackageStartupMessages(library(survival))
lung <- read.csv("tests/reference/cli/lung.csv", check.names = FALSE)

num <- function(x) {
  if (length(x) == 0 || is.null(x) || is.na(x) || !is.finite(x)) return("null")
  sprintf("%.17g", x)
}
str_ <- function(x) if (is.null(x) || is.na(x)) "null" else paste0('"', x, '"')
obj <- function(...) {
  kv <- list(...)
  paste0("{", paste(sprintf('"%s": %s', names(kv), unlist(kv)), collapse = ", "), "}")
}
arr <- function(items) paste0("[", paste(unlist(items), collapse = ", "), "]")
chisq <- function(stat, df) obj(chisq = num(stat), df = num(df), p_value = num(pchisq(stat, df, lower.tail = FALSE)))

km_block <- function(data, group, conf_type, conf_level, times, tau) {
  f <- if (is.null(group)) Surv(time, status) ~ 1 else as.formula(paste0("Surv(time, status) ~ `", group, "`"))
  d <- if (is.null(group)) data else data[!is.na(data[[group]]), ]
  fit <- survfit(f, data = d, conf.type = conf_type, conf.int = conf_level)
  tab <- summary(fit, rmean = if (is.null(tau)) "none" else tau)$table
  if (is.null(dim(tab))) tab <- t(as.matrix(tab))
  lcl <- grep("LCL$", colnames(tab)); ucl <- grep("UCL$", colnames(tab))
  strata <- if (is.null(group)) list(NULL) else as.list(sub(".*=", "", names(fit$strata)))
  entries <- list()
  for (i in seq_along(strata)) {
    sub_fit <- if (is.null(group)) fit else fit[i]
    at <- "[]"
    if (!is.null(times)) {
      s <- summary(sub_fit, times = times, extend = TRUE)
      at <- arr(lapply(seq_along(s$time), function(j) obj(
        time = num(s$time[j]), n_risk = num(s$n.risk[j]), n_event = num(s$n.event[j]),
        n_censor = num(s$n.censor[j]), survival = num(s$surv[j]),
        lower = num(s$lower[j]), upper = num(s$upper[j]))))
    }
    rm <- if (is.null(tau)) "null" else obj(tau = num(tau), estimate = num(tab[i, "rmean"]), se = num(tab[i, "se(rmean)"]))
    entries[[i]] <- obj(group = str_(strata[[i]]), n = num(tab[i, "records"]), events = num(tab[i, "events"]),
                        median = num(tab[i, "median"]), median_lower = num(tab[i, lcl]),
                        median_upper = num(tab[i, ucl]), at = at, rmst = rm)
  }
  list(n = nrow(d), events = sum(d$status), dropped = nrow(data) - nrow(d), km = arr(entries))
}

cox_block <- function(data, covariates, ties, conf_level) {
  f <- as.formula(paste("Surv(time, status) ~", paste0("`", covariates, "`", collapse = " + ")))
  fit <- coxph(f, data = data, ties = ties, control = coxph.control(eps = 1e-12, toler.chol = 1e-13, iter.max = 100))
  s <- summary(fit, conf.int = conf_level)
  co <- s$coefficients; ci <- s$conf.int
  lo <- grep("^lower", colnames(ci)); up <- grep("^upper", colnames(ci))
  terms <- lapply(seq_len(nrow(co)), function(i) obj(
    term = str_(gsub("`", "", rownames(co)[i])), coef = num(co[i, "coef"]), se = num(co[i, "se(coef)"]),
    hr = num(co[i, "exp(coef)"]), lower = num(ci[i, lo]), upper = num(ci[i, up]),
    z = num(co[i, "z"]), p_value = num(co[i, "Pr(>|z|)"])))
  zph <- cox.zph(fit, transform = "km")$table
  ph <- lapply(seq_len(nrow(zph)), function(i) obj(term = str_(gsub("`", "", rownames(zph)[i])),
    chisq = num(zph[i, "chisq"]), df = num(zph[i, "df"]), p_value = num(zph[i, "p"])))
  obj(ties = str_(ties), n = num(fit$n), events = num(fit$nevent), terms = arr(terms),
      concordance = num(s$concordance[1]), concordance_se = num(s$concordance[2]),
      # summary.coxph rounds its test statistics; take them unrounded from the fit.
      likelihood_ratio = chisq(2 * diff(fit$loglik), length(coef(fit))),
      wald = chisq(fit$wald.test, length(coef(fit))),
      score = chisq(fit$score, length(coef(fit))),
      ph_test = arr(ph))
}

trend <- function(data, group) {
  d <- data[!is.na(data[[group]]), ]
  sd <- survdiff(as.formula(paste0("Surv(time, status) ~ `", group, "`")), data = d)
  sc <- as.numeric(sub(".*=", "", names(sd$n)))
  u <- sum(sc * (sd$obs - sd$exp)); v <- as.numeric(t(sc) %*% sd$var %*% sc)
  chisq(u^2 / v, 1)
}

scenario <- function(name, args, group = NULL, conf_type = "log-log", conf_level = 0.95,
                     times = NULL, tau = NULL, rho = 0, method = "logrank", do_trend = FALSE,
                     covariates = NULL, ties = "efron") {
  k <- km_block(lung, group, conf_type, conf_level, times, tau)
  parts <- c(n = num(k$n), events = num(k$events), dropped = num(k$dropped),
             conf_type = str_(conf_type), conf_level = num(conf_level), km = k$km)
  if (!is.null(group)) {
    d <- lung[!is.na(lung[[group]]), ]
    sd <- survdiff(as.formula(paste0("Surv(time, status) ~ `", group, "`")), data = d, rho = rho)
    parts["test"] <- sub("^\\{", sprintf('{"method": "%s", ', method), chisq(sd$chisq, length(sd$n) - 1))
    if (do_trend) parts["trend"] <- trend(lung, group)
  }
  if (!is.null(covariates)) parts["cox"] <- cox_block(lung, covariates, ties, conf_level)
  expected <- paste0("{", paste(sprintf('"%s": %s', names(parts), parts), collapse = ", "), "}")
  sprintf('"%s": {"args": %s, "expected": %s}', name, arr(paste0('"', args, '"')), expected)
}

out <- c(
  scenario("overall_loglog", c("--times", "90,180,365,730", "--tau", "730"),
           times = c(90, 180, 365, 730), tau = 730),
  scenario("sex_logrank_cox_efron",
           c("--group", "sex", "--covariates", "age,sex,ph.ecog", "--times", "90,365", "--tau", "730"),
           group = "sex", times = c(90, 365), tau = 730, covariates = c("age", "sex", "ph.ecog")),
  scenario("ecog_trend_log90_breslow",
           c("--group", "ph.ecog", "--trend", "--conf-type", "log", "--conf-level", "0.9",
             "--covariates", "age,ph.karno,wt.loss", "--ties", "breslow", "--times", "180"),
           group = "ph.ecog", do_trend = TRUE, conf_type = "log", conf_level = 0.9,
           covariates = c("age", "ph.karno", "wt.loss"), ties = "breslow", times = 180),
  scenario("sex_fh1_plain", c("--group", "sex", "--test", "fleming-harrington", "--fh-p", "1",
                              "--conf-type", "plain", "--tau", "365"),
           group = "sex", rho = 1, method = "fleming-harrington", conf_type = "plain", tau = 365)
)
cat("{", paste(out, collapse = ",\n"), "}\n", sep = "\n")
