# Delayed entry (left truncation) on the age scale: R's survival::mgus2 (1384 patients with
# monoclonal gammopathy), each at risk from the age at diagnosis to the age at death or last
# follow-up (years). Run: Rscript mgus2_age.R  (writes mgus2_age.csv and mgus2_age.json here).
# The upload tests map entry = age, time = age_exit (unit years), event = death.
library(survival)
library(jsonlite)
m <- survival::mgus2
d <- data.frame(id = m$id, sex = m$sex, age = m$age, age_exit = m$age + m$futime / 12,
                death = m$death, hgb = m$hgb)
write.csv(d, "mgus2_age.csv", row.names = FALSE)
fit <- survfit(Surv(age, age_exit, death) ~ sex, data = d)
times <- c(70, 80, 90)
s <- summary(fit, times = times)
km <- data.frame(strata = sub("sex=", "", as.character(s$strata)), time = s$time,
                 n_risk = s$n.risk, n_event = s$n.event, surv = s$surv,
                 lower = s$lower, upper = s$upper)
cx <- coxph(Surv(age, age_exit, death) ~ sex + hgb, data = d)
sm <- summary(cx)
out <- list(
  km_call = "summary(survfit(Surv(age, age_exit, death) ~ sex, data = d), times = c(70, 80, 90))",
  km = km,
  cox_call = "coxph(Surv(age, age_exit, death) ~ sex + hgb, data = d)",
  cox = list(term = rownames(sm$coefficients), coef = unname(sm$coefficients[, "coef"]),
             se = unname(sm$coefficients[, "se(coef)"]), n = cx$n, nevent = cx$nevent),
  r_version = R.version.string,
  survival_version = as.character(packageVersion("survival"))
)
writeLines(toJSON(out, digits = NA, pretty = TRUE), "mgus2_age.json")
print(s)
print(cx)
