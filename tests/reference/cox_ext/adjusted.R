# Issue 18: survival curves predicted from Cox models (survfit(coxph, newdata)) and direct
# adjustment, on R's ovarian (survival package; exported here), jasa1 and pbc (exported by
# cox_ext_reference.R). Run from the repository root: Rscript tests/reference/cox_ext/adjusted.R
library(survival)
library(jsonlite)
here <- "tests/reference/cox_ext"
ov <- ovarian
write.csv(ov, file.path(here, "data", "ovarian.csv"), row.names = FALSE)
ja <- read.csv(file.path(here, "data", "jasa1.csv"))
pb <- read.csv(file.path(here, "data", "pbc.csv"))
ctl <- coxph.control(eps = 1e-12, iter.max = 100, toler.chol = 1e-15)
sf <- function(f, nd, ...) {
  s <- survfit(f, newdata = nd, ...)
  list(time = s$time, n_risk = s$n.risk, n_event = s$n.event, surv = unname(s$surv),
       std_err = unname(s$std.err), lower = unname(s$lower), upper = unname(s$upper))
}
out <- list()
nd <- data.frame(age = c(50, 65), rx = c(1, 2), ecog.ps = c(1, 2))
for (ties in c("efron", "breslow")) {
  f <- coxph(Surv(futime, fustat) ~ age + rx + ecog.ps, data = ov, ties = ties, control = ctl)
  out[[paste0("ovarian_", ties)]] <- sf(f, nd)
  g <- coxph(Surv(start, stop, event) ~ age + surgery + transplant, data = ja, ties = ties,
             control = ctl)
  out[[paste0("jasa1_", ties)]] <- sf(g, data.frame(age = c(-5, 5), surgery = c(0, 1),
                                                     transplant = c(1, 0)), conf.type = "log-log")
}
h <- coxph(Surv(time, death) ~ treated + age, weights = ipw, data = pb, control = ctl)
out$pbc_ipw <- sf(h, data.frame(treated = c(0, 1), age = 50))
# direct adjustment: average over the cohort of the curves with the arm set
k <- coxph(Surv(time, death) ~ treated + age + log(bili), data = pb, control = ctl)
out$pbc_direct <- list(time = survfit(k, newdata = pb[1, ])$time,
  surv = sapply(0:1, function(a) rowMeans(survfit(k, newdata = transform(pb, treated = a))$surv)))
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, na = "null", pretty = TRUE, matrix = "rowmajor"),
           file.path(here, "adjusted.json"))
