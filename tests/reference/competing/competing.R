# Reference values for hccdash.competing, from R's cmprsk (cuminc, crr) and survival (survfit
# multi-state). Run: Rscript competing.R  (writes competing.json, mgus2.csv, pbc.csv here).
# Data: survival::mgus2 (progression to plasma-cell malignancy, death without progression as
# the competing event; months, heavy ties) and survival::pbc (status 0 censored, 1 liver
# transplant, 2 death; days); stage 1 of pbc has no transplant (a group without competing events).
suppressMessages({library(survival); library(cmprsk); library(jsonlite)})
mg <- survival::mgus2
mg$etime <- with(mg, ifelse(pstat == 0, futime, ptime))
mg$event <- with(mg, ifelse(pstat == 0, 2 * death, 1))
mg$old <- ifelse(mg$age >= 70, "70+", "<70")
mg <- mg[, c("id", "age", "sex", "hgb", "mspike", "etime", "event", "old")]
write.csv(mg, "mgus2.csv", row.names = FALSE)
pb <- survival::pbc[, c("id", "time", "status", "trt", "age", "sex", "edema", "bili", "stage")]
pb$years <- ceiling(pb$time / 365.25)  # heavy ties
write.csv(pb, "pbc.csv", row.names = FALSE)

curves <- function(ci) {
  ci <- ci[names(ci) != "Tests"]
  lapply(names(ci), function(nm) list(name = nm, time = ci[[nm]]$time, est = ci[[nm]]$est,
                                      var = ci[[nm]]$var))
}
tests <- function(ci) {
  if (is.null(ci$Tests)) return(NULL)
  t <- ci$Tests
  # pv is R's 1 - pchisq(stat, df); p_upper the same without cancellation for tiny p
  lapply(rownames(t), function(r) list(cause = r, stat = t[r, "stat"], p_value = t[r, "pv"],
                                       p_upper = pchisq(t[r, "stat"], t[r, "df"], lower.tail = FALSE),
                                       df = t[r, "df"]))
}
tp <- function(ci, times) {
  x <- timepoints(ci, times)
  # pointwise 95% CIs from cuminc's variance: log(-log) and log transforms
  e <- x$est; se <- sqrt(x$var); z <- qnorm(0.975)
  a <- exp(z * se / (e * log(e)))
  list(times = times, names = rownames(x$est), est = unname(e), var = unname(x$var),
       loglog_lower = unname(e^(1 / a)), loglog_upper = unname(e^a),
       log_lower = unname(e * exp(-z * se / e)), log_upper = unname(pmin(e * exp(z * se / e), 1)))
}
cuminc_case <- function(call, ci, times) {
  list(call = call, curves = curves(ci), tests = tests(ci), timepoints = tp(ci, times))
}
out <- list(R = R.version.string, cmprsk = as.character(packageVersion("cmprsk")),
            survival = as.character(packageVersion("survival")))
cases <- list()
cases$mgus2_sex <- cuminc_case("cuminc(mg$etime, mg$event, mg$sex)",
                               cuminc(mg$etime, mg$event, mg$sex), c(60, 120, 240))
cases$mgus2_sex_strata <- cuminc_case("cuminc(mg$etime, mg$event, mg$sex, strata = mg$old)",
                               cuminc(mg$etime, mg$event, mg$sex, strata = mg$old), c(60, 120))
cases$mgus2_sex_rho1 <- cuminc_case("cuminc(mg$etime, mg$event, mg$sex, rho = 1)",
                               cuminc(mg$etime, mg$event, mg$sex, rho = 1), c(60))
pbs <- pb[!is.na(pb$stage), ]
cases$pbc_stage <- cuminc_case("cuminc(pbs$time, pbs$status, pbs$stage)  # pbs: stage not NA",
                               cuminc(pbs$time, pbs$status, pbs$stage), c(1000, 2000, 4000))
cases$pbc_edema_years <- cuminc_case("cuminc(pb$years, pb$status, pb$edema)",
                               cuminc(pb$years, pb$status, pb$edema), c(2, 5, 10))
cases$pbc_all <- cuminc_case("cuminc(pb$time, pb$status)", cuminc(pb$time, pb$status),
                             c(365, 1826))
out$cuminc <- cases

# Pairwise Gray tests between pbc stages (cause 2 = death), Holm and BH adjusted.
lv <- sort(unique(pbs$stage)); pw <- list()
for (i in 1:(length(lv) - 1)) for (j in (i + 1):length(lv)) {
  s <- pbs$stage %in% c(lv[i], lv[j])
  t <- cuminc(pbs$time[s], pbs$status[s], pbs$stage[s])$Tests
  pw[[length(pw) + 1]] <- list(a = lv[i], b = lv[j], stat = t["2", "stat"], p = t["2", "pv"])
}
p <- sapply(pw, function(x) x$p)
out$pairwise_pbc_stage_death <- list(call = "cuminc(pbs$time[s], pbs$status[s], pbs$stage[s]) per pair; p.adjust",
  pairs = pw, holm = p.adjust(p, "holm"), BH = p.adjust(p, "BH"))

crr_case <- function(call, fit) {
  s <- summary(fit)
  list(call = call, terms = names(fit$coef), coef = unname(fit$coef),
       se = unname(sqrt(diag(fit$var))), p_value = unname(2 * pnorm(-abs(fit$coef) / sqrt(diag(fit$var)))),
       lower = unname(s$conf.int[, 3]), upper = unname(s$conf.int[, 4]),
       loglik = fit$loglik, loglik_null = fit$loglik.null, converged = fit$converged,
       n = fit$n, n_missing = fit$n.missing, inf = unname(fit$inf))
}
X <- cbind(age = mg$age, sexM = as.numeric(mg$sex == "M"))
fits <- list()
fits$mgus2_age_sex_c1 <- crr_case("crr(mg$etime, mg$event, cbind(age = mg$age, sexM = mg$sex == 'M'), failcode = 1)",
                                  crr(mg$etime, mg$event, X, failcode = 1))
fits$mgus2_age_sex_c2 <- crr_case("crr(mg$etime, mg$event, cbind(age = mg$age, sexM = mg$sex == 'M'), failcode = 2)",
                                  crr(mg$etime, mg$event, X, failcode = 2))
Xh <- cbind(age = mg$age, hgb = mg$hgb)
fits$mgus2_age_hgb_na <- crr_case("crr(mg$etime, mg$event, cbind(age = mg$age, hgb = mg$hgb))  # 13 NA hgb",
                                  crr(mg$etime, mg$event, Xh))
Xp <- model.matrix(~ age + factor(edema) + log(bili), pb)[, -1]
fits$pbc_age_edema_logbili_death <- crr_case("crr(pb$time, pb$status, model.matrix(~ age + factor(edema) + log(bili), pb)[, -1], failcode = 2)",
                                  crr(pb$time, pb$status, Xp, failcode = 2))
fits$pbc_years_age_edema_logbili_death <- crr_case("crr(pb$years, pb$status, model.matrix(~ age + factor(edema) + log(bili), pb)[, -1], failcode = 2)",
                                  crr(pb$years, pb$status, Xp, failcode = 2))
fits$mgus2_age_sex_cengroup <- crr_case("crr(mg$etime, mg$event, cbind(age = mg$age, sexM = mg$sex == 'M'), cengroup = mg$sex)",
                                  crr(mg$etime, mg$event, X, cengroup = mg$sex))
fits$pbc_years_sex_transplant <- crr_case("crr(pb$years, pb$status, cbind(sexf = pb$sex == 'f'), failcode = 1)",
                                  crr(pb$years, pb$status, cbind(sexf = as.numeric(pb$sex == "f")), failcode = 1))
out$crr <- fits

# survival's multi-state Aalen-Johansen: same estimates, different (infinitesimal jackknife) se.
sf <- survfit(Surv(etime, factor(event)) ~ sex, data = mg)
ss <- summary(sf, times = c(60, 120, 240))
out$survfit_mgus2_sex <- list(call = "summary(survfit(Surv(etime, factor(event)) ~ sex, data = mg), times = c(60, 120, 240))",
  strata = as.character(ss$strata), time = ss$time, pstate = unname(ss$pstate), std_err = unname(ss$std.err),
  states = sf$states)
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE), "competing.json")
