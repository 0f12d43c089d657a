# Reference values for the public cohorts of other diseases in tests/data/public/, read through
# their codebooks by hccdash (tests/test_public_cohorts.py). Run from the repository root:
#   Rscript tests/reference/public/public_reference.R > tests/reference/public/public_reference.json
# R's defaults: factor levels sorted, the first is the reference; Efron ties.
suppressPackageStartupMessages({library(survival); library(jsonlite)})
out <- list(R = R.version.string, survival = as.character(packageVersion("survival")))

km_block <- function(fit) {
  tab <- summary(fit)$table
  list(strata = sub(".*=", "", rownames(tab)), n = unname(tab[, "records"]),
       events = unname(tab[, "events"]), median = unname(tab[, "median"]),
       lower = unname(tab[, "0.95LCL"]), upper = unname(tab[, "0.95UCL"]))
}
cox_block <- function(fit) {
  s <- summary(fit)$coefficients
  list(term = rownames(s), coef = unname(s[, "coef"]), se = unname(s[, "se(coef)"]),
       p = unname(s[, "Pr(>|z|)"]), loglik = fit$loglik,
       concordance = unname(fit$concordance["concordance"]))
}

# Breast cancer (German Breast Cancer Study Group 2, TH.data::GBSG2 via scikit-survival):
# recurrence-free survival in days.
g <- read.csv("tests/data/public/gbsg2.csv", stringsAsFactors = TRUE)
out$gbsg2 <- list(
  km = km_block(survfit(Surv(time, cens) ~ horTh, data = g)),       # conf.type = "log"
  km_loglog = km_block(survfit(Surv(time, cens) ~ horTh, data = g, conf.type = "log-log")),
  logrank = {d <- survdiff(Surv(time, cens) ~ horTh, data = g)
             list(chisq = d$chisq, p = pchisq(d$chisq, length(d$n) - 1, lower.tail = FALSE))},
  cox = cox_block(coxph(Surv(time, cens) ~ horTh + age + menostat + tsize + tgrade + pnodes +
                          progrec + estrec, data = g, ties = "efron"))
)

# Lung cancer (Veterans' Administration trial, survival::veteran via scikit-survival).
v <- read.csv("tests/data/public/veterans.csv", stringsAsFactors = TRUE)
v$dead <- as.integer(v$Status == "dead")
out$veterans <- list(
  km = km_block(survfit(Surv(Survival_in_days, dead) ~ Treatment, data = v, conf.type = "log-log")),
  logrank = {d <- survdiff(Surv(Survival_in_days, dead) ~ Celltype, data = v)
             list(chisq = d$chisq, p = pchisq(d$chisq, length(d$n) - 1, lower.tail = FALSE))},
  cox = cox_block(coxph(Surv(Survival_in_days, dead) ~ Treatment + Celltype + Karnofsky_score,
                        data = v, ties = "efron"))
)
cat(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE, na = "null"))
