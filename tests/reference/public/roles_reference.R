# Reference values of the sidebar's codebook roles on the public cohorts (tests/test_codebook_roles.py):
# the veterans' codebook gives the performance-status role to Karnofsky_score and the treatment
# role to Treatment; GBSG2's gives the treatment role to horTh. Run from the repository root:
#   Rscript tests/reference/public/roles_reference.R > tests/reference/public/roles_reference.json
suppressPackageStartupMessages({library(survival); library(jsonlite)})
out <- list(R = R.version.string, survival = as.character(packageVersion("survival")))
v <- read.csv("tests/data/public/veterans.csv", stringsAsFactors = TRUE)
v$dead <- as.integer(v$Status == "dead")
# The codebook's preset ">=60" (Karnofsky_score 60-99) and the arm "test".
s <- subset(v, Karnofsky_score >= 60 & Treatment == "test")
km <- summary(survfit(Surv(Survival_in_days, dead) ~ 1, data = s, conf.type = "log-log"))$table
d <- survdiff(Surv(Survival_in_days, dead) ~ Celltype, data = s)
k60 <- subset(v, Karnofsky_score >= 60)
cx <- coxph(Surv(Survival_in_days, dead) ~ Treatment + Celltype + Karnofsky_score, data = k60,
            ties = "efron")
cs <- summary(cx)$coefficients
out$veterans <- list(
  n = nrow(s), events = sum(s$dead), median = unname(km["median"]),
  logrank_celltype = list(chisq = d$chisq,
                          p = pchisq(d$chisq, length(d$n) - 1, lower.tail = FALSE)),
  k60 = list(n = nrow(k60), events = sum(k60$dead), term = rownames(cs),
             coef = unname(cs[, "coef"]), hr = unname(cs[, "exp(coef)"]),
             p = unname(cs[, "Pr(>|z|)"]), concordance = unname(cx$concordance["concordance"]))
)
g <- read.csv("tests/data/public/gbsg2.csv", stringsAsFactors = TRUE)
gy <- subset(g, horTh == "yes")
kmg <- summary(survfit(Surv(time, cens) ~ tgrade, data = gy, conf.type = "log-log"))$table
dg <- survdiff(Surv(time, cens) ~ tgrade, data = gy)
out$gbsg2 <- list(
  n = nrow(gy), events = sum(gy$cens),
  tgrade = list(strata = sub(".*=", "", rownames(kmg)), n = unname(kmg[, "records"]),
                events = unname(kmg[, "events"]), median = unname(kmg[, "median"])),
  logrank_tgrade = list(chisq = dg$chisq, p = pchisq(dg$chisq, length(dg$n) - 1,
                                                     lower.tail = FALSE))
)
cat(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE, na = "null"))
