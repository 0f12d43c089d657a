# Issue 18: Kaplan-Meier with delayed entry and case weights, and the delayed-entry log-rank
# test, on R's jasa1 (Stanford heart transplant, (start, stop] rows), cgd (repeated rows per
# patient, cluster) and pbc (IPW and whole-number weights; data from cox_ext_reference.R).
# Run from the repository root: Rscript tests/reference/cox_ext/km_counting.R
library(survival)
library(jsonlite)
here <- "tests/reference/cox_ext"
ja <- read.csv(file.path(here, "data", "jasa1.csv"))
cg <- read.csv(file.path(here, "data", "cgd.csv"))
pb <- read.csv(file.path(here, "data", "pbc.csv"))
curves <- function(f) {
  s <- if (is.null(f$strata)) list(all = seq_along(f$time)) else
    split(seq_along(f$time), rep(seq_along(f$strata), f$strata))
  lapply(s, function(i) list(time = f$time[i], n_risk = f$n.risk[i], n_event = f$n.event[i],
                              n_censor = f$n.censor[i], surv = f$surv[i],
                              std_err = f$std.err[i], lower = f$lower[i], upper = f$upper[i]))
}
out <- list()
out$jasa1_surgery <- curves(survfit(Surv(start, stop, event) ~ surgery, data = ja,
                                    conf.type = "log-log"))
out$cgd_cluster <- curves(survfit(Surv(tstart, tstop, status) ~ treat, cluster = id, data = cg,
                                  conf.type = "log-log"))
out$pbc_ipw <- curves(survfit(Surv(time, death) ~ treated, weights = ipw, data = pb,
                              conf.type = "log-log"))
out$pbc_fw <- curves(survfit(Surv(time, death) ~ treated, weights = fw, data = pb,
                             conf.type = "log"))
# delayed-entry log-rank: survdiff's formula on the counting-process risk sets
# (survdiff refuses Surv(start, stop, event)); checked against survdiff on right-censored data
lr_counting <- function(start, stop, event, g) {
  lev <- sort(unique(g)); k <- length(lev)
  o <- e <- numeric(k); v <- matrix(0, k, k)
  for (t in sort(unique(stop[event == 1]))) {
    nk <- sapply(lev, function(l) sum(start < t & stop >= t & g == l))
    dk <- sapply(lev, function(l) sum(stop == t & event == 1 & g == l))
    n <- sum(nk); d <- sum(dk)
    o <- o + dk; e <- e + d * nk / n
    if (n > 1) v <- v + d * (n - d) / (n - 1) * (diag(nk / n) - outer(nk / n, nk / n))
  }
  u <- (o - e)[-1]
  list(obs = o, exp = e, chisq = drop(u %*% solve(v[-1, -1, drop = FALSE], u)))
}
chk <- lr_counting(rep(-Inf, nrow(pb)), pb$time, pb$death, pb$treated)
stopifnot(abs(chk$chisq - survdiff(Surv(time, death) ~ treated, pb)$chisq) < 1e-10)
out$jasa1_logrank <- lr_counting(ja$start, ja$stop, ja$event, ja$surgery)
out$cgd_logrank <- lr_counting(cg$tstart, cg$tstop, cg$status, cg$treat)
d <- data.frame(entry = c(0, 0, 2, 1, 3, 0, 0, 1), t = c(4, 5, 6, 3, 7, 2, 8, 9),
                e = c(1, 0, 1, 1, 0, 1, 1, 1), g = strsplit("aabbabab", "")[[1]])
out$doctest_logrank <- lr_counting(d$entry, d$t, d$e, d$g)
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, na = "null", pretty = TRUE),
           file.path(here, "km_counting.json"))
