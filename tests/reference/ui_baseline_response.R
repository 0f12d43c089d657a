# Reference values for tests/test_baseline.py and tests/test_response.py.
# Input: tests/reference/ui_cohort.csv (written by make_ui_cohort.py, seed 20261127).
# Run: Rscript tests/reference/ui_baseline_response.R > tests/reference/ui_baseline_response.json
d <- read.csv("tests/reference/ui_cohort.csv", stringsAsFactors = FALSE)
num <- function(x) formatC(x, digits = 15, format = "g")
out <- list()
out$sex_fisher <- fisher.test(table(d$sex, d$treatment))$p.value
out$child_pugh_ffh <- fisher.test(table(d$child_pugh, d$treatment))$p.value
out$site_ffh <- fisher.test(table(d$metastatic_site, d$treatment))$p.value
w <- wilcox.test(age_years ~ treatment, data = d)   # ties -> normal approx, correct=TRUE
out$age_wilcox_p <- w$p.value
out$age_wilcox_W <- unname(w$statistic)
a <- d[!is.na(d$albumin), ]
w2 <- wilcox.test(albumin ~ treatment, data = a)     # no ties, n < 50 -> exact
out$albumin_wilcox_p <- w2$p.value
out$albumin_wilcox_W <- unname(w2$statistic)
k <- kruskal.test(age_years ~ factor(child_pugh), data = d)
out$age_by_cp_kruskal_p <- k$p.value
out$age_by_cp_kruskal_H <- unname(k$statistic)
big <- matrix(c(120, 60, 45, 40, 30, 25), nrow = 3)
cs <- chisq.test(big, correct = FALSE)
out$big_chisq_p <- cs$p.value
out$big_chisq_stat <- unname(cs$statistic)
ci <- function(k, n) { b <- binom.test(k, n); c(k, n, unname(b$conf.int)) }
rates <- list()
for (site in c("intrahepatic_response", "extrahepatic_response")) {
  for (g in c("Overall", "IMRT", "IMRT+TACE")) {
    s <- if (g == "Overall") d else d[d$treatment == g, ]
    r <- s[[site]]
    r <- r[r %in% c("CR", "PR", "SD", "PD")]
    rates[[paste(site, g, "ORR", sep = "|")]] <- ci(sum(r %in% c("CR", "PR")), length(r))
    rates[[paste(site, g, "DCR", sep = "|")]] <- ci(sum(r %in% c("CR", "PR", "SD")), length(r))
  }
}
out$rates <- rates
cat("{\n")
sc <- names(out)[names(out) != "rates"]
for (nm in sc) cat(sprintf('  "%s": %s,\n', nm, num(out[[nm]])))
cat('  "rates": {\n')
rn <- names(rates)
for (i in seq_along(rn)) {
  v <- rates[[rn[i]]]
  cat(sprintf('    "%s": [%s]%s\n', rn[i], paste(num(v), collapse = ", "), if (i < length(rn)) "," else ""))
}
cat("  }\n}\n")
