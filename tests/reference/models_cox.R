# Reference values for tests/test_models.py (risk models, issue 9).
# Run from the repository root: Rscript tests/reference/models_cox.R
# Data: tests/reference/models_synth300.csv = hccdash.synth.generate(300, seed=7), OS columns.
library(survival)
d <- read.csv("tests/reference/models_synth300.csv", stringsAsFactors = FALSE)
d$treatment <- factor(d$treatment, levels = c("IMRT+TACE", "IMRT"))
d$child_pugh <- factor(d$child_pugh, levels = c("A", "B", "C"))
d$pvtt <- factor(d$pvtt, levels = c("Yes", "No"))
# scikit-learn's StandardScaler divides by the population SD (ddof = 0).
n <- nrow(d)
kps_mean <- mean(d$kps)
kps_sd <- sd(d$kps) * sqrt((n - 1) / n)
d$kps_z <- (d$kps - kps_mean) / kps_sd
fit <- coxph(Surv(os_months, os_event) ~ treatment + child_pugh + pvtt + kps_z, data = d,
             ties = "efron", control = coxph.control(eps = 1e-12, toler.chol = 1e-14, iter.max = 100))
# The what-if patient: IMRT, Child-Pugh B, KPS 70, no PVTT.
nd <- data.frame(treatment = factor("IMRT", levels = levels(d$treatment)),
                 child_pugh = factor("B", levels = levels(d$child_pugh)),
                 pvtt = factor("No", levels = levels(d$pvtt)),
                 kps_z = (70 - kps_mean) / kps_sd)
# Breslow cumulative baseline hazard (ctype = 1) and S = exp(-H) (stype = 2), as scikit-survival.
sf <- survfit(fit, newdata = nd, ctype = 1, stype = 2)
s <- summary(sf, times = c(12, 24))
cf <- coef(fit)
out <- data.frame(
  quantity = c(paste0("coef:", names(cf)), "concordance", paste0("surv:", s$time)),
  value = c(unname(cf), unname(fit$concordance["concordance"]), as.vector(s$surv))
)
out$value <- sprintf("%.15g", out$value)
write.csv(out, "tests/reference/models_cox.csv", row.names = FALSE, quote = FALSE)
print(out)
