# Table 1 of the reconstructed cohort computed by R's survival package.
# Run from the repo root:  Rscript tests/reference/cohort_table1.R > tests/reference/cohort_table1.json
# For every Table 1 factor (PAPER_FACTORS: cuts age 50, KPS 70, dose 52; failure "None" left out)
# and endpoint: survdiff(Surv(t, e) ~ g) chisq and p, and the KM medians of
# summary(survfit(Surv(t, e) ~ g))$table[, "median"] (R's median rule; null = not reached).
suppressPackageStartupMessages(library(survival))
path <- "data/hcc_oligomets_reconstructed.csv"
d <- read.csv(path, stringsAsFactors = FALSE, na.strings = character(0))
sha <- system(paste("sha256sum", path), intern = TRUE)
sha <- strsplit(sha, " ")[[1]][1]
groups <- list(
  age_years = ifelse(d$age_years <= 50, "≤50 years", ">50 years"),
  sex = d$sex, child_pugh = d$child_pugh, pvtt = d$pvtt,
  kps = ifelse(d$kps <= 70, "60–70", ">70"),
  cirrhosis = d$cirrhosis, treatment = d$treatment, metastatic_site = d$metastatic_site,
  rt_dose_gy = ifelse(d$rt_dose_gy <= 52, "≤52 Gy", ">52 Gy"),
  failure_pattern = ifelse(d$failure_pattern == "None", NA, d$failure_pattern),
  ascites = d$ascites)
num <- function(x) if (is.na(x)) "null" else sprintf("%.17g", x)
out <- character(0)
for (col in names(groups)) {
  for (ep in c("pfs", "os")) {
    g <- groups[[col]]
    keep <- !is.na(g)
    t <- d[[paste0(ep, "_months")]][keep]; e <- d[[paste0(ep, "_event")]][keep]; g <- g[keep]
    sd <- survdiff(Surv(t, e) ~ g)
    df <- sum(sd$exp > 0) - 1
    p <- pchisq(sd$chisq, df, lower.tail = FALSE)
    tab <- summary(survfit(Surv(t, e) ~ g))$table
    lev <- sub("^g=", "", rownames(tab))
    meds <- paste0("\"", lev, "\": ", sapply(tab[, "median"], num), collapse = ", ")
    out <- c(out, sprintf("    {\"column\": \"%s\", \"endpoint\": \"%s\", \"chisq\": %s, \"p\": %s, \"medians\": {%s}}",
                          col, ep, num(sd$chisq), num(p), meds))
  }
}
cat("{\n  \"csv_sha256\": \"", sha, "\",\n  \"r_version\": \"", R.version.string, "\",\n  \"tests\": [\n",
    paste(out, collapse = ",\n"), "\n  ]\n}\n", sep = "")
