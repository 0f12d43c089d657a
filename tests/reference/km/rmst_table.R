# R reference for hccdash.nonparametric.rmst_table: RMST per group and differences from the
# first level, as survRM2::rmst2 reports them (survRM2 is not a Debian package here, so its
# formulas are written out: the per-group rmean and se(rmean) are survival's own survmean,
# the difference's SE is sqrt(se1^2 + se0^2), the CI normal, the p value 2 * pnorm(-|z|)).
#
# Run from the repository root:  Rscript tests/reference/km/rmst_table.R
# Reads tests/reference/km/data/<name>.csv, writes tests/reference/km/fixtures/rmst_table.json.
suppressMessages({library(survival); library(jsonlite)})

args <- commandArgs(FALSE)
here <- dirname(normalizePath(sub("^--file=", "", grep("^--file=", args, value = TRUE))))
cases <- list(
  list(name = "veterans", group = "trt", tau = 365),
  list(name = "lung", group = "sex", tau = 730),
  list(name = "gbsg2", group = "horTh", tau = 1825),
  list(name = "waltons", group = "group", tau = 60),
  list(name = "hand", group = "grp", tau = 6)
)
one <- function(d, g, tau) {
  f <- survfit(as.formula(paste("Surv(time, status) ~", g)), data = d)
  m <- survival:::survmean(f, rmean = tau)$matrix
  rmean <- unname(m[, "rmean"]); se <- unname(m[, "se(rmean)"])
  z <- qnorm(0.975)
  diff <- rmean - rmean[1]; dse <- sqrt(se^2 + se[1]^2)
  diff[1] <- NA; dse[1] <- NA
  list(
    call = sprintf("survival:::survmean(survfit(Surv(time, status) ~ %s), rmean = %.17g)", g, tau),
    tau = tau, group = sub("^[^=]*=", "", rownames(m)),
    rmst = rmean, se = se, lower = rmean - z * se, upper = rmean + z * se,
    diff = diff, diff_lower = diff - z * dse, diff_upper = diff + z * dse,
    p_value = 2 * pnorm(-abs(diff / dse))
  )
}
out <- list(r_version = R.version.string, survival_version = as.character(packageVersion("survival")))
for (cs in cases) {
  d <- read.csv(file.path(here, "data", paste0(cs$name, ".csv")), stringsAsFactors = FALSE)
  # survRM2's default tau: the smallest of the groups' largest observed times
  used <- d[complete.cases(d[, c("time", "status", cs$group)]), ]  # the rows survfit uses
  default_tau <- min(tapply(used$time, used[[cs$group]], max))
  out[[cs$name]] <- list(group_column = cs$group, default = one(d, cs$group, default_tau),
                         given = one(d, cs$group, cs$tau))
}
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, na = "null", pretty = TRUE),
           file.path(here, "fixtures", "rmst_table.json"))
