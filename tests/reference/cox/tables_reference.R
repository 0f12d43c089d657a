# Reference values for tests/test_tables.py: the paper's Table 1 and Table 2 computed in R on
# a frozen snapshot of the bundled reconstructed cohort (hcc_cohort_snapshot.csv).
# Run from the repository root:  Rscript tests/reference/cox/tables_reference.R
# Levels are derived here independently of hccdash.schema (same cut points) and written as
# their position in the schema's level order (1 = reference), so no non-ASCII labels are needed.
suppressPackageStartupMessages(library(survival))
here <- "tests/reference/cox"
fmt <- function(x) sprintf("%.17g", x)
d <- read.csv(file.path(here, "hcc_cohort_snapshot.csv"), stringsAsFactors = FALSE,
              na.strings = c("", "NA"))
code <- function(x, lev) match(x, lev)
f <- list(
  age_years = ifelse(d$age_years <= 50, 1L, 2L),                 # <=50 years, >50 years
  sex = code(d$sex, c("Male", "Female")),
  child_pugh = code(d$child_pugh, c("A", "B", "C")),
  pvtt = code(d$pvtt, c("Yes", "No")),
  kps = ifelse(d$kps <= 70, 2L, 1L),                             # >70 (reference), 60-70
  cirrhosis = code(d$cirrhosis, c("Yes", "No")),
  treatment = code(d$treatment, c("IMRT+TACE", "IMRT")),
  metastatic_site = code(d$metastatic_site, c("Lung", "Lymph node", "Brain", "Adrenal", "Bone")),
  rt_dose_gy = ifelse(d$rt_dose_gy <= 52, 1L, 2L),               # <=52 Gy, >52 Gy
  failure_pattern = code(d$failure_pattern, c("Intrahepatic", "Extrahepatic")),  # "None" -> NA
  ascites = code(d$ascites, c("Yes", "No"))
)
ends <- list(pfs = c("pfs_months", "pfs_event"), os = c("os_months", "os_event"))

uni <- list()
for (col in names(f)) for (e in names(ends)) {
  dd <- data.frame(t = d[[ends[[e]][1]]], s = d[[ends[[e]][2]]], g = f[[col]])
  dd <- dd[!is.na(dd$g), ]
  fit <- survfit(Surv(t, s) ~ g, data = dd, conf.type = "log-log")
  tb <- summary(fit)$table
  sd <- survdiff(Surv(t, s) ~ g, data = dd)
  p <- pchisq(sd$chisq, length(sd$n) - 1, lower.tail = FALSE)
  lev <- as.integer(sub("g=", "", rownames(tb)))
  uni[[length(uni) + 1]] <- data.frame(
    column = col, endpoint = e, level = lev, n = tb[, "n.start"], events = tb[, "events"],
    median = fmt(tb[, "median"]), lower = fmt(tb[, "0.95LCL"]), upper = fmt(tb[, "0.95UCL"]),
    chisq = fmt(sd$chisq), p = fmt(p))
}
write.csv(do.call(rbind, uni), file.path(here, "tables_univariate.csv"), row.names = FALSE)

# Table 2: the paper's seven factors, one model per endpoint, Efron ties, converged fully.
ctl <- suppressWarnings(coxph.control(eps = 1e-12, iter.max = 100))
cols <- c("child_pugh", "pvtt", "kps", "treatment", "rt_dose_gy", "failure_pattern", "ascites")
mv <- list()
for (e in names(ends)) {
  dd <- data.frame(t = d[[ends[[e]][1]]], s = d[[ends[[e]][2]]])
  for (col in cols) dd[[col]] <- factor(f[[col]], levels = sort(unique(na.omit(f[[col]]))))
  form <- as.formula(paste("Surv(t, s) ~", paste(cols, collapse = " + ")))
  fit <- suppressWarnings(coxph(form, data = dd, control = ctl))
  sm <- summary(fit)
  cf <- sm$coefficients
  mv[[e]] <- data.frame(
    endpoint = e, term = rownames(cf), coef = fmt(cf[, "coef"]), se = fmt(cf[, "se(coef)"]),
    hr = fmt(cf[, "exp(coef)"]), lower = fmt(sm$conf.int[, "lower .95"]),
    upper = fmt(sm$conf.int[, "upper .95"]), p = fmt(cf[, "Pr(>|z|)"]), n = fit$n,
    events = fit$nevent)
  print(sm)
}
write.csv(do.call(rbind, mv), file.path(here, "tables_multivariable.csv"), row.names = FALSE)
