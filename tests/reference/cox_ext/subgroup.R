# Issue 18: subgroup hazard ratios and treatment x factor interaction tests on R's pbc (the
# 312 randomised; data exported by cox_ext_reference.R).
# Run from the repository root: Rscript tests/reference/cox_ext/subgroup.R
library(survival)
library(jsonlite)
here <- "tests/reference/cox_ext"
pb <- read.csv(file.path(here, "data", "pbc.csv"))
pb$treated <- factor(pb$treated)
pb$edema <- factor(pb$edema)
ctl <- coxph.control(eps = 1e-12, iter.max = 100, toler.chol = 1e-15)
row <- function(d) {
  f <- coxph(Surv(time, death) ~ treated, data = d, control = ctl)
  s <- summary(f)
  list(n = f$n, events = f$nevent, hr = s$conf.int[1, 1], lower = s$conf.int[1, 3],
       upper = s$conf.int[1, 4], p = s$coefficients[1, 5])
}
out <- list(overall = row(pb))
for (v in c("sex", "edema")) {
  lev <- sort(unique(as.character(pb[[v]])))
  out[[v]] <- lapply(lev, function(l) c(list(level = l), row(pb[as.character(pb[[v]]) == l, ])))
  small <- coxph(as.formula(paste("Surv(time, death) ~ treated +", v)), data = pb, control = ctl)
  big <- coxph(as.formula(paste("Surv(time, death) ~ treated *", v)), data = pb, control = ctl)
  a <- anova(small, big)
  out[[paste0(v, "_interaction")]] <- list(chisq = a$Chisq[2], df = a$Df[2], p = a[2, 4])
}
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, na = "null", pretty = TRUE),
           file.path(here, "subgroup.json"))
