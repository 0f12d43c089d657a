# Issue 18: propensity scores, inverse-probability weights, balance (SMD) and the weighted
# outcome analyses on R's pbc (the 312 randomised; data exported by cox_ext_reference.R).
# Run from the repository root: Rscript tests/reference/cox_ext/weighting.R
library(survival)
library(jsonlite)
here <- "tests/reference/cox_ext"
pb <- read.csv(file.path(here, "data", "pbc.csv"))
pb$logbili <- log(pb$bili)
ctl <- coxph.control(eps = 1e-12, iter.max = 100, toler.chol = 1e-15)
g <- glm(treated ~ age + sex + logbili + albumin + edema, family = binomial, data = pb,
         control = glm.control(epsilon = 1e-14, maxit = 100))
e <- fitted(g); t <- pb$treated
w <- list(ate = t / e + (1 - t) / (1 - e),
          att = t + (1 - t) * e / (1 - e))
w$ate_stab <- w$ate * ifelse(t == 1, mean(t), 1 - mean(t))
w$ate_trim <- pmin(pmax(w$ate, quantile(w$ate, 0.01)), quantile(w$ate, 0.99))
X <- model.matrix(~ age + sex + logbili + albumin + edema, pb)[, -1]
smd <- function(wt) apply(X, 2, function(v) {
  sd <- sqrt((var(v[t == 1]) + var(v[t == 0])) / 2)
  (weighted.mean(v[t == 1], wt[t == 1]) - weighted.mean(v[t == 0], wt[t == 0])) / sd
})
out <- list(ps = unname(e), weights = lapply(w, unname),
            smd_before = unname(smd(rep(1, nrow(pb)))), smd_ate = unname(smd(w$ate)),
            smd_att = unname(smd(w$att)), terms = colnames(X))
pb$w_att <- w$att
f <- coxph(Surv(time, death) ~ factor(treated), weights = w_att, data = pb, control = ctl)
out$cox_att <- list(coef = unname(coef(f)), se = unname(sqrt(diag(f$naive.var))),
                    robust_se = unname(sqrt(diag(f$var))))
k <- survfit(Surv(time, death) ~ treated, weights = w_att, data = pb, conf.type = "log-log")
out$km_att <- list(surv = k$surv, std_err = k$std.err, lower = k$lower, upper = k$upper,
                   strata = unname(k$strata))
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, na = "null", pretty = TRUE),
           file.path(here, "weighting.json"))
