# R reference values for hccdash's Kaplan-Meier and group-comparison code.
#
# Run from the repository root:  Rscript tests/reference/km/km_reference.R
# Reads tests/reference/km/data/*.csv (exported from Python packages by export_data.py, so R
# and Python compute on identical data) and writes tests/reference/km/fixtures/<name>.json.
# Base R + survival only (jsonlite is not installed here, so a tiny JSON writer is below).
# Numbers are written with 17 significant digits; NA/NaN -> null, +-Inf -> "Inf"/"-Inf".
suppressMessages(library(survival))

args <- commandArgs(FALSE)
here <- dirname(normalizePath(sub("^--file=", "", grep("^--file=", args, value = TRUE))))
out_dir <- file.path(here, "fixtures")
dir.create(out_dir, showWarnings = FALSE)

# ---- minimal JSON writer ------------------------------------------------------------------
num <- function(x) {
  ifelse(is.na(x), "null",
         ifelse(is.infinite(x), ifelse(x > 0, '"Inf"', '"-Inf"'), sprintf("%.17g", x)))
}
tojson <- function(x) {
  if (is.null(x)) return("null")
  if (is.list(x)) {
    if (!is.null(names(x))) {
      return(paste0("{", paste0('"', names(x), '": ', vapply(x, tojson, ""), collapse = ", "), "}"))
    }
    return(paste0("[", paste(vapply(x, tojson, ""), collapse = ", "), "]"))
  }
  if (is.factor(x)) x <- as.character(x)
  if (is.character(x)) v <- ifelse(is.na(x), "null", paste0('"', gsub('"', '\\\\"', x), '"'))
  else if (is.logical(x)) v <- ifelse(is.na(x), "null", ifelse(x, "true", "false"))
  else v <- num(as.numeric(x))
  if (length(x) == 1 && is.null(attr(x, "vector"))) v else paste0("[", paste(v, collapse = ", "), "]")
}
vec <- function(x) { x <- as.vector(x); attr(x, "vector") <- TRUE; x }  # always a JSON array

rd <- function(name) read.csv(file.path(here, "data", paste0(name, ".csv")), stringsAsFactors = FALSE)
strip <- function(s) sub("^[^=]*=", "", s)  # "sex=1" -> "1"

# ---- survfit: every curve's arrays --------------------------------------------------------
curves <- function(f) {
  if (is.null(f$strata)) {
    idx <- list(seq_along(f$time)); nm <- list(NULL)
  } else {
    ends <- cumsum(f$strata); starts <- c(1, head(ends, -1) + 1)
    idx <- Map(seq, starts, ends); nm <- as.list(strip(names(f$strata)))
  }
  unname(Map(function(i, g, n) list(group = g, n = n, time = vec(f$time[i]),
                          n_risk = vec(f$n.risk[i]), n_event = vec(f$n.event[i]),
                          n_censor = vec(f$n.censor[i]), surv = vec(f$surv[i]),
                          std_err = vec(f$std.err[i]), lower = vec(f$lower[i]),
                          upper = vec(f$upper[i])), idx, nm, as.list(f$n)))
}

# print(fit) / print(fit, rmean = tau): survival:::survmean is what print.survfit calls
table_of <- function(f, rmean = "none") {
  m <- survival:::survmean(f, rmean = rmean)$matrix
  if (is.null(dim(m))) m <- matrix(m, nrow = 1, dimnames = list(NULL, names(m)))
  g <- if (is.null(f$strata)) list(NULL) else as.list(strip(rownames(m)))
  lcl <- grep("LCL$", colnames(m)); ucl <- grep("UCL$", colnames(m))
  lapply(seq_len(nrow(m)), function(r) {
    row <- list(group = g[[r]], n = m[r, "records"], events = m[r, "events"],
                median = m[r, "median"], lower = m[r, lcl], upper = m[r, ucl])
    if (rmean != "none") { row$rmean <- m[r, "rmean"]; row$se_rmean <- m[r, "se(rmean)"] }
    row
  })
}

summary_at <- function(f, times) {
  s <- summary(f, times = times, extend = TRUE)
  list(group = vec(if (is.null(s$strata)) rep(NA, length(s$time)) else strip(as.character(s$strata))),
       time = vec(s$time), n_risk = vec(s$n.risk), n_event = vec(s$n.event),
       n_censor = vec(s$n.censor), surv = vec(s$surv), std_err = vec(s$std.err),
       lower = vec(s$lower), upper = vec(s$upper))
}

# ---- weighted log-rank tests written out explicitly ---------------------------------------
# At each distinct event time: w * (d_k - d n_k / n) and w^2 d (n-d)/(n-1) (p_k (delta - p_j)).
# Weights see S = pooled Kaplan-Meier just before t (S(t-)).
wlr <- function(time, status, grp, wfun) {
  g <- factor(grp); k <- nlevels(g)
  O <- numeric(k); E <- numeric(k); V <- matrix(0, k, k); S <- 1
  for (t in sort(unique(time[status == 1]))) {
    atrisk <- time >= t; dead <- time == t & status == 1
    n <- sum(atrisk); d <- sum(dead)
    nk <- as.numeric(tapply(atrisk, g, sum)); dk <- as.numeric(tapply(dead, g, sum))
    w <- wfun(n, S)
    O <- O + w * dk; E <- E + w * d * nk / n
    if (n > 1) { p <- nk / n; V <- V + w^2 * d * (n - d) / (n - 1) * (diag(p) - outer(p, p)) }
    S <- S * (1 - d / n)
  }
  U <- (O - E)[-1]
  chisq <- sum(solve(V[-1, -1, drop = FALSE], U) * U)
  list(observed = vec(O), expected = vec(E), chisq = chisq, df = k - 1,
       p_value = pchisq(chisq, k - 1, lower.tail = FALSE))
}
weights <- list(
  logrank = function(n, S) 1,
  wilcoxon = function(n, S) n,
  `tarone-ware` = function(n, S) sqrt(n),
  peto = function(n, S) S,
  fh_0_1 = function(n, S) (1 - S),
  fh_1_1 = function(n, S) S * (1 - S),
  fh_0.5_0.5 = function(n, S) S^0.5 * (1 - S)^0.5,
  fh_2_0 = function(n, S) S^2
)

sd_list <- function(s) {
  df <- sum(rowSums(as.matrix(s$exp)) > 0) - 1  # strata: exp is groups x strata
  list(groups = vec(strip(names(s$n))), n = vec(as.numeric(s$n)), observed = vec(s$obs),
       expected = vec(s$exp), var = lapply(seq_len(nrow(s$var)), function(i) vec(s$var[i, ])),
       chisq = s$chisq, df = df, p_value = pchisq(s$chisq, df, lower.tail = FALSE))
}

trend <- function(s, scores) {
  U <- s$obs - s$exp
  chisq <- sum(scores * U)^2 / as.numeric(t(scores) %*% s$var %*% scores)
  list(scores = vec(scores), chisq = chisq, df = 1, p_value = pchisq(chisq, 1, lower.tail = FALSE))
}

# survminer::pairwise_survdiff's algorithm (survminer is not installed): a two-group
# survdiff per pair, then p.adjust over all pairs
pairwise <- function(d, var, rho = 0) {
  lev <- sort(unique(d[[var]][!is.na(d[[var]])]))
  rows <- list(); p <- c()
  for (i in seq_along(lev)) for (j in seq_along(lev)) if (i < j) {
    sub <- d[!is.na(d[[var]]) & d[[var]] %in% lev[c(i, j)], ]
    s <- survdiff(Surv(time, status) ~ sub[[var]], data = sub, rho = rho)
    pv <- pchisq(s$chisq, 1, lower.tail = FALSE)
    rows[[length(rows) + 1]] <- list(group_a = as.character(lev[j]), group_b = as.character(lev[i]),
                                     chisq = s$chisq, p_value = pv)
    p <- c(p, pv)
  }
  holm <- p.adjust(p, "holm"); bh <- p.adjust(p, "BH")
  for (r in seq_along(rows)) { rows[[r]]$p_holm <- holm[r]; rows[[r]]$p_bh <- bh[r] }
  rows
}

# ---- one dataset ----------------------------------------------------------------------------
reference <- function(name, group, times, tau, strata = NULL, trend_var = NULL, pair_var = NULL) {
  d <- rd(name)
  d$g <- d[[group]]
  out <- list(dataset = name, group = group, times = vec(times), tau = tau,
              r_version = R.version.string, survival_version = as.character(packageVersion("survival")))
  km <- list()
  for (ct in c("log", "log-log", "plain")) for (lvl in c(0.95, 0.9)) {
    key <- paste0(ct, "_", lvl)
    f1 <- survfit(Surv(time, status) ~ 1, data = d, conf.type = ct, conf.int = lvl)
    fg <- survfit(Surv(time, status) ~ g, data = d, conf.type = ct, conf.int = lvl)
    km[[key]] <- list(
      call = sprintf('survfit(Surv(time, status) ~ %s, data = %s, conf.type = "%s", conf.int = %s)',
                     group, name, ct, lvl),
      overall = curves(f1), grouped = curves(fg),
      medians_overall = table_of(f1), medians = table_of(fg),
      summary_overall = summary_at(f1, times), summary = summary_at(fg, times))
  }
  out$km <- km
  f1 <- survfit(Surv(time, status) ~ 1, data = d)
  fg <- survfit(Surv(time, status) ~ g, data = d)
  out$rmean <- list(call = sprintf("print(survfit(Surv(time, status) ~ %s, data = %s), rmean = %s)",
                                   group, name, tau),
                    overall = table_of(f1, tau), grouped = table_of(fg, tau))
  out$survdiff <- list(
    rho0 = sd_list(survdiff(Surv(time, status) ~ g, data = d, rho = 0)),
    rho1 = sd_list(survdiff(Surv(time, status) ~ g, data = d, rho = 1)),
    rho0.5 = sd_list(survdiff(Surv(time, status) ~ g, data = d, rho = 0.5)))
  ok <- !is.na(d$g) & !is.na(d$time) & !is.na(d$status)
  # survdiff's timefix: aeqSurv merges floating-point near-ties before counting
  tfix <- aeqSurv(Surv(d$time[ok], d$status[ok]))[, 1]
  w <- lapply(weights, function(f) wlr(tfix, d$status[ok], d$g[ok], f))
  # the explicit code must reproduce survdiff where survdiff has the method
  stopifnot(isTRUE(all.equal(w$logrank$chisq, out$survdiff$rho0$chisq, tolerance = 1e-10)))
  stopifnot(isTRUE(all.equal(w$peto$chisq, out$survdiff$rho1$chisq, tolerance = 1e-10)))
  stopifnot(isTRUE(all.equal(as.numeric(w$peto$observed), as.numeric(out$survdiff$rho1$observed), tolerance = 1e-10)))
  out$weighted <- w
  if (!is.null(strata)) {
    s <- survdiff(as.formula(sprintf("Surv(time, status) ~ g + strata(%s)", strata)), data = d)
    out$stratified <- c(list(strata = strata), sd_list(s))
    s1 <- survdiff(as.formula(sprintf("Surv(time, status) ~ g + strata(%s)", strata)), data = d,
                   rho = 1)
    out$stratified_rho1 <- c(list(strata = strata), sd_list(s1))
  }
  if (!is.null(trend_var)) {
    s <- survdiff(Surv(time, status) ~ d[[trend_var]], data = d)
    lev <- sort(unique(d[[trend_var]][!is.na(d[[trend_var]])]))
    out$trend <- c(list(var = trend_var, levels = vec(as.character(lev))),
                   trend(s, as.numeric(lev)))
    out$trend_equal_spaced <- trend(s, seq_along(lev))
  }
  if (!is.null(pair_var)) {
    out$pairwise <- list(var = pair_var, logrank = pairwise(d, pair_var, 0),
                         peto = pairwise(d, pair_var, 1))
  }
  for (ct in c("log-log", "log")) {
    r <- survfit(Surv(time, 1 - status) ~ 1, data = d, conf.type = ct)
    out$followup[[ct]] <- table_of(r)[[1]]
  }
  writeLines(tojson(out), file.path(out_dir, paste0(name, ".json")))
  cat("wrote", name, "\n")
}

reference("lung", "sex", c(0, 90, 180, 365, 730, 1100), 730, strata = "ph_ecog",
          trend_var = "ph_ecog", pair_var = "ph_ecog")
reference("waltons", "group", c(0, 10, 30, 50, 60, 90), 60)
reference("veterans", "trt", c(0, 30, 90, 180, 365, 1000), 365, strata = "prior",
          pair_var = "celltype")
reference("gbsg2", "horTh", c(0, 365, 730, 1095, 1825, 2500), 1825, strata = "menostat",
          trend_var = "tgrade", pair_var = "tgrade")
reference("hand", "grp", c(0, 2, 3, 4.5, 8, 10), 6)
reference("nearties", "arm", c(0, 3, 6, 12), 12)
