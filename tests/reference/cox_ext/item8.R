# Issue 18, item 8: the three known differences from R, on R's `ovarian` data (survival
# package) with a few added rows. Run: Rscript tests/reference/cox_ext/item8.R
library(survival)
library(jsonlite)
here <- "tests/reference/cox_ext"
d <- ovarian[, c("futime", "fustat", "age", "resid.ds", "rx")]
d$grp <- as.character(d$rx)
out <- list()

# (a) a near-tie chain crossing strata: 400, 400 + 6e-6, 400 + 1.2e-5 (each gap below R's
# timefix tolerance relative to the mean time, the whole chain above it); the ends are in
# stratum 1, the middle in stratum 2. R merges on the pooled times, then splits by stratum.
a <- rbind(d, data.frame(futime = c(400, 400 + 6e-6, 400 + 1.2e-5), fustat = 1,
                         age = c(55, 60, 65), resid.ds = c(1, 2, 1), rx = c(1, 2, 2),
                         grp = c("1", "2", "2")))
write.csv(a, file.path(here, "ovarian_nearties_strata.csv"), row.names = FALSE)
sa <- survdiff(Surv(futime, fustat) ~ grp + strata(resid.ds), data = a)
out$strata_nearties <- list(chisq = sa$chisq, obs = as.vector(rowSums(sa$obs)),
                            exp = as.vector(rowSums(sa$exp)))

# (b) a group whose patients are all censored before the first event (expected = 0)
e <- rbind(d, data.frame(futime = c(1, 2, 3), fustat = 0, age = c(50, 60, 70),
                         resid.ds = 1, rx = 1, grp = "early"))
write.csv(e, file.path(here, "ovarian_early.csv"), row.names = FALSE)
# survminer::pairwise_survdiff's algorithm (survminer is not installable here)
lev <- sort(unique(e$grp))
pp <- c(); rows <- list()
for (j in 2:length(lev)) for (i in 1:(j - 1)) {
  sub <- e[e$grp %in% lev[c(i, j)], ]
  sd <- survdiff(Surv(futime, fustat) ~ grp, data = sub)
  p <- pchisq(sd$chisq, length(sd$n) - 1, lower.tail = FALSE)
  rows[[length(rows) + 1]] <- list(group_a = lev[j], group_b = lev[i], chisq = sd$chisq,
                                   p_value = p)
  pp <- c(pp, p)
}
holm <- p.adjust(pp, "holm"); bh <- p.adjust(pp, "BH")
for (k in seq_along(rows)) { rows[[k]]$p_holm <- holm[k]; rows[[k]]$p_bh <- bh[k] }
out$pairwise_early <- rows

# (c) a Cox level with no information: NA for it, the rest fitted
f <- coxph(Surv(futime, fustat) ~ grp + age, data = e,
           control = coxph.control(eps = 1e-12, iter.max = 100))
s <- summary(f)
out$cox_na <- list(coef = unname(coef(f)), se = unname(sqrt(diag(f$var))),
                   loglik = f$loglik, lr = s$logtest[["test"]], lr_df = s$logtest[["df"]],
                   wald = unname(f$wald.test), score = unname(f$score))
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, na = "null", pretty = TRUE),
           file.path(here, "item8.json"))
