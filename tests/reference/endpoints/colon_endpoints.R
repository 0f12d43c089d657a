# survival::colon (adjuvant chemotherapy of stage B/C colon cancer, Moertel et al. 1990; 929
# patients, two rows each: etype 1 = recurrence, etype 2 = death), made wide with three
# endpoints in days: recurrence (rec_days, rec_status), death (os_days, os_status) and
# recurrence-free survival (rfs: recurrence or death, whichever first). Writes
# tests/data/public/colon3.csv and the reference numbers the data page shows per endpoint
# (n, events, censored, shortest, longest, median follow-up by reverse Kaplan-Meier
# survfit(Surv(time, 1 - status) ~ 1)) and KM medians (survfit(Surv(time, status) ~ 1)).
# Run: Rscript colon_endpoints.R  (from this directory)
library(survival)
library(jsonlite)
d <- survival::colon
rec <- d[d$etype == 1, ]
dth <- d[d$etype == 2, ]
stopifnot(identical(rec$id, dth$id))
w <- data.frame(
  id = rec$id, rx = as.character(rec$rx), sex = ifelse(rec$sex == 1, "male", "female"),
  age = rec$age, obstruct = rec$obstruct, nodes = rec$nodes, differ = rec$differ,
  extent = rec$extent,
  rec_days = rec$time, rec_status = rec$status,
  os_days = dth$time, os_status = dth$status
)
w$rfs_days <- ifelse(w$rec_status == 1, w$rec_days, w$os_days)
w$rfs_status <- pmax(w$rec_status, w$os_status)
write.csv(w, "../../data/public/colon3.csv", row.names = FALSE, na = "")
ends <- list(rec = c("rec_days", "rec_status"), os = c("os_days", "os_status"),
             rfs = c("rfs_days", "rfs_status"))
out <- list()
for (k in names(ends)) {
  t <- w[[ends[[k]][1]]]; s <- w[[ends[[k]][2]]]
  ok <- !is.na(t) & !is.na(s)
  t <- t[ok]; s <- s[ok]
  fu <- survfit(Surv(t, 1 - s) ~ 1)
  km <- survfit(Surv(t, s) ~ 1)
  out[[k]] <- list(n = sum(ok), events = sum(s == 1), censored = sum(s == 0),
                   shortest = min(t), longest = max(t),
                   median_followup = unname(summary(fu)$table["median"]),
                   km_median_months = unname(summary(km)$table["median"]) / 30.4375,
                   km_by_rx_median_days = unname(summary(survfit(Surv(t, s) ~ w$rx[ok]))$table[, "median"]))
}
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE), "colon_endpoints.json")
