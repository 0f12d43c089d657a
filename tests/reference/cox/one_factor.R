# One-factor Cox models (the hazard ratios beside Kaplan-Meier curves), for
# tests/test_engine_cox.py::test_cox_from_counts_matches_r. Run from this folder:
#   Rscript one_factor.R   (writes one_factor_r.csv)
library(survival)
ctl <- coxph.control(eps = 1e-12, iter.max = 100)
out <- NULL
cases <- list(
  list(file = "veterans.csv", time = "time", event = "status", group = "celltype",
       levels = c("large", "adeno", "smallcell", "squamous")),
  list(file = "gbsg2.csv", time = "time", event = "cens", group = "tgrade",
       levels = c("II", "I", "III"))
)
for (cs in cases) {
  d <- read.csv(cs$file)
  d$g <- factor(d[[cs$group]], levels = cs$levels)
  for (ties in c("efron", "breslow")) {
    fit <- coxph(as.formula(sprintf("Surv(%s, %s) ~ g", cs$time, cs$event)), data = d,
                 ties = ties, control = ctl)
    s <- summary(fit)
    co <- s$coefficients
    out <- rbind(out, data.frame(
      dataset = sub(".csv", "", cs$file), ties = ties, level = sub("^g", "", rownames(co)),
      coef = co[, "coef"], se = co[, "se(coef)"], lr = 2 * diff(fit$loglik),
      wald = fit$wald.test, score = fit$score))
  }
}
write.csv(out, "one_factor_r.csv", row.names = FALSE)
