# wrk --latency output → "rate p50_ms p99_ms non2xx socket_errors" (socket errors "-" when none).
function ms(v) {
  if (v ~ /us$/) return substr(v, 1, length(v) - 2) / 1000
  if (v ~ /ms$/) return substr(v, 1, length(v) - 2) + 0
  if (v ~ /s$/) return substr(v, 1, length(v) - 1) * 1000
  return v
}
/Requests\/sec/ { rate = $2 }
$1 == "50%" { p50 = ms($2) }
$1 == "99%" { p99 = ms($2) }
/Non-2xx/ { bad = $5 }
/Socket errors/ { errs = $0; sub(/.*Socket errors: */, "", errs); gsub(/ /, "", errs) }
END { printf "%s %.2f %.2f %d %s\n", rate, p50, p99, bad, (errs == "" ? "-" : errs) }
