# Issue 18: survival curves predicted from stratified Cox models,
# survfit(coxph(... + strata(s)), newdata): one baseline per stratum, so without the
# stratum in newdata every stratum gets a curve per newdata row; with it, each row gets the
# curve of its own stratum. Datasets shipped with R's survival package (3.5-3):
#   veteran  (Veterans' Administration lung cancer trial; strata(celltype))
#   bladder2 (bladder cancer recurrences, (start, stop] rows; strata(enum), exported by
#             concordance.R)
#   cgd      (chronic granulomatous disease, repeated infections; cluster(id), strata(sex),
#             exported by cox_ext_reference.R)
# Run from the repository root: Rscript tests/reference/cox_ext/adjusted_strata.R
library(survival)
library(jsonlite)
here <- "tests/reference/cox_ext"
ctl <- coxph.control(eps = 1e-12, iter.max = 100, toler.chol = 1e-15)
ve <- veteran
ve$celltype <- as.character(ve$celltype)
ve$w <- 0.5 + (seq_len(nrow(ve)) %% 4) / 3  # non-integer case weights: robust variance
write.csv(ve, file.path(here, "data", "veteran.csv"), row.names = FALSE)
bl <- read.csv(file.path(here, "data", "bladder2.csv"))
# one list per curve: its stratum, times, counts and the curve with its band
per_curve <- function(f, nd, ...) {
  s <- survfit(f, newdata = nd, ...)
  k <- rep(seq_along(s$strata), s$strata)
  surv <- as.matrix(s$surv); se <- as.matrix(s$std.err)
  lo <- as.matrix(s$lower); up <- as.matrix(s$upper)
  out <- list()
  for (i in seq_along(s$strata)) {
    r <- which(k == i)
    for (j in seq_len(ncol(surv))) {
      out[[length(out) + 1]] <- list(stratum = names(s$strata)[i], column = j,
        time = s$time[r], n_risk = s$n.risk[r], n_event = s$n.event[r],
        surv = surv[r, j], std_err = se[r, j], lower = lo[r, j], upper = up[r, j])
    }
  }
  out
}
out <- list()
nd <- data.frame(trt = c(1, 2), karno = c(60, 80), age = 60)
for (ties in c("efron", "breslow")) {
  f <- coxph(Surv(time, status) ~ trt + karno + age + strata(celltype), data = ve,
             ties = ties, control = ctl)
  out[[paste0("veteran_", ties)]] <- per_curve(f, nd)
  # the stratum given in newdata: one curve per row, in its own stratum
  out[[paste0("veteran_rows_", ties)]] <- per_curve(f, data.frame(
    trt = c(1, 2, 1), karno = c(60, 80, 70), age = c(60, 60, 50),
    celltype = c("adeno", "squamous", "adeno")))
  g <- coxph(Surv(start, stop, event) ~ rx + size + strata(enum), data = bl, ties = ties,
             control = ctl)
  out[[paste0("bladder2_", ties)]] <- per_curve(g, data.frame(rx = c(1, 2), size = 1),
                                                conf.type = "log-log")
}
h <- coxph(Surv(time, status) ~ trt + karno + strata(celltype), weights = w, data = ve,
           control = ctl)
out$veteran_weights <- per_curve(h, data.frame(trt = 1:2, karno = 70))
# (start, stop] rows, strata and cluster: survfit uses the robust (cluster) variance
cg <- read.csv(file.path(here, "data", "cgd.csv"))
k <- coxph(Surv(tstart, tstop, status) ~ treat + age + strata(sex), cluster = id, data = cg,
           control = ctl)
out$cgd_cluster <- per_curve(k, data.frame(treat = c("placebo", "rIFN-g"), age = 20))
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, na = "null", pretty = FALSE),
           file.path(here, "adjusted_strata.json"))
