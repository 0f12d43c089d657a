# Issue 18: references for stratified, counting-process, weighted and robust Cox models and
# cox.zph, on datasets shipped with R's survival package (3.5-3):
#   colon  (Moertel et al. 1990, adjuvant chemotherapy for colon cancer; 2 rows per patient:
#           recurrence and death, etype 1/2) -> strata(etype), cluster(id)
#   cgd    (Fleming & Harrington, chronic granulomatous disease trial; repeated infections,
#           (tstart, tstop] rows) -> counting process, cluster(id), strata(hos.cat)
#   jasa1  (Stanford heart transplant, time-varying transplant indicator) -> (start, stop]
#   pbc    (Mayo Clinic primary biliary cholangitis trial, the 312 randomised) -> case weights
# Run from the repository root: Rscript tests/reference/cox_ext/cox_ext_reference.R
library(survival)
library(jsonlite)
here <- "tests/reference/cox_ext"
ctl <- coxph.control(eps = 1e-12, iter.max = 100, toler.chol = 1e-15)

fit_json <- function(f) {
  s <- summary(f)
  nv <- if (!is.null(f$naive.var)) f$naive.var else f$var
  out <- list(coef = unname(coef(f)), se = unname(sqrt(diag(nv))),
              loglik = f$loglik, lr = 2 * diff(f$loglik), wald = unname(f$wald.test),
              score = unname(f$score), n = f$n, nevent = f$nevent,
              concordance = unname(f$concordance["concordance"]),
              concordance_se = unname(f$concordance["std"]))
  if (!is.null(f$naive.var)) {
    out$robust_se <- unname(sqrt(diag(f$var)))
    out$rscore <- unname(f$rscore)
  }
  out
}
zph_json <- function(f) {
  z <- cox.zph(f)
  list(terms = rownames(z$table), chisq = unname(z$table[, "chisq"]),
       df = unname(z$table[, "df"]), p = unname(z$table[, "p"]),
       x = unname(z$x), time = unname(z$time), y = unname(z$y))
}
out <- list()

# ---- colon: strata and cluster -------------------------------------------------------------
co <- colon[, c("id", "rx", "sex", "age", "obstruct", "nodes", "status", "time", "etype")]
co$rx <- as.character(co$rx)
write.csv(co, file.path(here, "data", "colon.csv"), row.names = FALSE)
for (ties in c("efron", "breslow")) {
  f1 <- coxph(Surv(time, status) ~ rx + sex + age + obstruct + nodes + strata(etype),
              data = co, ties = ties, control = ctl)
  out[[paste0("colon_strata_", ties)]] <- fit_json(f1)
  out[[paste0("colon_strata_zph_", ties)]] <- zph_json(f1)
  f2 <- coxph(Surv(time, status) ~ rx + sex + age + obstruct + nodes + strata(etype),
              cluster = id, data = co, ties = ties, control = ctl)
  out[[paste0("colon_cluster_", ties)]] <- fit_json(f2)
}
# robust = TRUE without a cluster: each row its own cluster
f3 <- coxph(Surv(time, status) ~ rx + age + strata(etype), robust = TRUE, data = co,
            control = ctl)
out$colon_robust_rows <- fit_json(f3)

# ---- cgd: counting process, cluster, strata --------------------------------------------------
cg <- cgd[, c("id", "treat", "sex", "age", "inherit", "steroids", "hos.cat", "tstart",
              "tstop", "status")]
for (v in c("treat", "sex", "inherit", "hos.cat")) cg[[v]] <- as.character(cg[[v]])
write.csv(cg, file.path(here, "data", "cgd.csv"), row.names = FALSE)
for (ties in c("efron", "breslow")) {
  f <- coxph(Surv(tstart, tstop, status) ~ treat + sex + age + inherit + steroids,
             cluster = id, data = cg, ties = ties, control = ctl)
  out[[paste0("cgd_cluster_", ties)]] <- fit_json(f)
  g <- coxph(Surv(tstart, tstop, status) ~ treat + sex + age + inherit + strata(hos.cat),
             data = cg, ties = ties, control = ctl)
  out[[paste0("cgd_strata_", ties)]] <- fit_json(g)
  out[[paste0("cgd_strata_zph_", ties)]] <- zph_json(g)
}

# the CLI test's model: analyze cgd.csv --time tstop --event status --start tstart
# --cluster id --covariates treat,age,steroids
out$cgd_cli <- fit_json(coxph(Surv(tstart, tstop, status) ~ treat + age + steroids,
                              cluster = id, data = cg, control = ctl))

# ---- jasa1: time-varying transplant ----------------------------------------------------------
write.csv(jasa1, file.path(here, "data", "jasa1.csv"), row.names = FALSE)
for (ties in c("efron", "breslow")) {
  f <- coxph(Surv(start, stop, event) ~ age + year + surgery + transplant, data = jasa1,
             ties = ties, control = ctl)
  out[[paste0("jasa1_", ties)]] <- fit_json(f)
  out[[paste0("jasa1_zph_", ties)]] <- zph_json(f)
}

# ---- pbc: case weights -------------------------------------------------------------------------
pb <- pbc[1:312, c("id", "time", "status", "trt", "age", "sex", "bili", "albumin", "edema")]
pb$death <- as.integer(pb$status == 2)
pb$treated <- as.integer(pb$trt == 1)
ps <- fitted(glm(treated ~ age + sex + log(bili) + albumin + edema, family = binomial,
                 data = pb))
pb$ipw <- ifelse(pb$treated == 1, 1 / ps, 1 / (1 - ps))
pb$fw <- 1 + pb$id %% 3  # whole-number (frequency) weights: R's default is not robust
write.csv(pb, file.path(here, "data", "pbc.csv"), row.names = FALSE)
for (ties in c("efron", "breslow")) {
  f <- coxph(Surv(time, death) ~ treated + age + log(bili), weights = ipw, data = pb,
             ties = ties, control = ctl)
  out[[paste0("pbc_ipw_", ties)]] <- fit_json(f)
  g <- coxph(Surv(time, death) ~ treated + age + albumin + strata(edema), weights = fw,
             data = pb, ties = ties, control = ctl)
  out[[paste0("pbc_fw_strata_", ties)]] <- fit_json(g)
}
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, na = "null", pretty = TRUE),
           file.path(here, "cox_ext.json"))
# cox.zph of weighted fits (appended; reads the exported pbc data)
out2 <- jsonlite::fromJSON(file.path(here, "cox_ext.json"), simplifyVector = FALSE)
for (ties in c("efron", "breslow")) {
  f <- coxph(Surv(time, death) ~ treated + age + log(bili), weights = ipw, data = pb,
             ties = ties, control = ctl)
  out2[[paste0("pbc_ipw_zph_", ties)]] <- zph_json(f)
}
writeLines(toJSON(out2, digits = NA, auto_unbox = TRUE, na = "null", pretty = TRUE),
           file.path(here, "cox_ext.json"))
