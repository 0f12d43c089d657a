# Issue 18: landmark analysis on R's mgus2 (monoclonal gammopathy, Kyle et al.): death by
# "progressed to plasma cell malignancy before the landmark" (known only after baseline),
# landmark 60 months. Run from the repository root: Rscript tests/reference/cox_ext/landmark.R
library(survival)
library(jsonlite)
here <- "tests/reference/cox_ext"
m <- mgus2[, c("id", "age", "sex", "futime", "death", "ptime", "pstat")]
write.csv(m, file.path(here, "data", "mgus2.csv"), row.names = FALSE)
L <- 60
m$prog <- ifelse(m$pstat == 1 & m$ptime <= L, "yes", "no")
d2 <- subset(m, futime > L); d2$futime <- d2$futime - L
ctl <- coxph.control(eps = 1e-12, iter.max = 100, toler.chol = 1e-15)
s <- survdiff(Surv(futime, death) ~ prog, d2)
f <- coxph(Surv(futime, death) ~ prog + age, d2, control = ctl)
k <- survfit(Surv(futime, death) ~ prog, d2, conf.type = "log-log")
out <- list(n = nrow(d2), chisq = s$chisq, coef = unname(coef(f)),
            se = unname(sqrt(diag(f$var))), surv = k$surv, time = k$time)
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE),
           file.path(here, "landmark.json"))
