# Issue 18: concordance of counting-process (start, stop] and weighted Cox fits, as
# coxph() reports it (survival 3.x concordancefit: timewt = "n", reverse = TRUE, the
# infinitesimal-jackknife std, dfbeta summed within cluster when there is one).
# Datasets shipped with R's survival package (3.5-3), exported to data/:
#   bladder2  (Byar 1980, bladder cancer recurrences, (start, stop] rows per patient)
#   heart     (Stanford heart transplant, time-varying transplant indicator)
#   rotterdam (Rotterdam breast cancer cohort; IPW for hormonal therapy)
#   lung      (NCCTG advanced lung cancer; synthetic non-integer case weights, 18 strata)
# Run from the repository root: Rscript tests/reference/cox_ext/concordance.R
library(survival)
library(jsonlite)
here <- "tests/reference/cox_ext"
ctl <- coxph.control(eps = 1e-12, iter.max = 100, toler.chol = 1e-15)
cj <- function(f) {
  cc <- f$concordance
  list(count = unname(cc[c("concordant", "discordant", "tied.x", "tied.y", "tied.xy")]),
       concordance = unname(cc["concordance"]), std = unname(cc["std"]),
       coef = unname(coef(f)), n = f$n,
       robust_se = if (is.null(f$naive.var)) NULL else unname(sqrt(diag(f$var))))
}
out <- list()

bl <- bladder2
write.csv(bl, file.path(here, "data", "bladder2.csv"), row.names = FALSE)
he <- heart
he$transplant <- as.integer(as.character(he$transplant))
he$w <- 0.5 + (seq_len(nrow(he)) %% 7) / 4  # non-integer case weights
write.csv(he, file.path(here, "data", "heart.csv"), row.names = FALSE)
ro <- rotterdam[, c("pid", "age", "meno", "size", "grade", "nodes", "hormon", "dtime",
                    "death")]
ro$size <- as.character(ro$size)
ps <- fitted(glm(hormon ~ age + meno + size + grade + nodes, family = binomial, data = ro))
ro$ipw <- ifelse(ro$hormon == 1, 1 / ps, 1 / (1 - ps))
write.csv(ro, file.path(here, "data", "rotterdam.csv"), row.names = FALSE)
lu <- lung
lu$dead <- lu$status - 1
lu$w <- 0.25 + (seq_len(nrow(lu)) %% 5) / 3
write.csv(lu, file.path(here, "data", "lung.csv"), row.names = FALSE)

for (ties in c("efron", "breslow")) {
  # (start, stop], cluster: dfbeta summed by patient
  out[[paste0("bladder2_cluster_", ties)]] <- cj(coxph(
    Surv(start, stop, event) ~ rx + number + size, cluster = id, data = bl,
    ties = ties, control = ctl))
  # (start, stop] with strata (enum: the recurrence number)
  out[[paste0("bladder2_strata_", ties)]] <- cj(coxph(
    Surv(start, stop, event) ~ rx + number + size + strata(enum), data = bl,
    ties = ties, control = ctl))
  # (start, stop], a tied linear predictor (two binary covariates)
  out[[paste0("heart_ties_", ties)]] <- cj(coxph(
    Surv(start, stop, event) ~ surgery + transplant, data = he,
    ties = ties, control = ctl))
  # (start, stop] with non-integer weights (robust by default, no cluster)
  out[[paste0("heart_weights_", ties)]] <- cj(coxph(
    Surv(start, stop, event) ~ age + year + surgery + transplant, weights = w, data = he,
    ties = ties, control = ctl))
  # (start, stop], weights and cluster
  out[[paste0("heart_weights_cluster_", ties)]] <- cj(coxph(
    Surv(start, stop, event) ~ age + surgery + transplant, weights = w, cluster = id,
    data = he,
    ties = ties, control = ctl))
  # inverse-probability weights for hormonal therapy
  out[[paste0("rotterdam_ipw_", ties)]] <- cj(coxph(
    Surv(dtime, death) ~ hormon + age + nodes, weights = ipw, data = ro,
    ties = ties, control = ctl))
  # weights, tied covariate pattern
  out[[paste0("lung_weights_", ties)]] <- cj(coxph(
    Surv(time, dead) ~ sex + ph.ecog, weights = w, data = lu,
    ties = ties, control = ctl))
  # weights and 18 strata (R joins > 10 strata on disjoint time intervals)
  out[[paste0("lung_weights_strata_", ties)]] <- cj(coxph(
    Surv(time, dead) ~ age + sex + strata(inst), weights = w, data = lu,
    ties = ties, control = ctl))
}
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, na = "null", pretty = TRUE),
           file.path(here, "concordance.json"))
