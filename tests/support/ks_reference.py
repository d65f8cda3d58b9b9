"""scipy.stats.ks_2samp (two-sided, method auto) of sample pairs given as a JSON list of
[a, b] in the JSON file argv[1]; prints a JSON list of [statistic, pvalue]."""
import json
import sys

from scipy.stats import ks_2samp

pairs = json.load(open(sys.argv[1]))
print(json.dumps([[float(r.statistic), float(r.pvalue)] for r in (ks_2samp(a, b) for a, b in pairs)]))
