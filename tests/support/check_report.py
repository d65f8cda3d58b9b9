"""Checks a cellsdf report folder: every SVG parses as XML with an <svg> root and drawn
marks, and every image index.html shows exists. Prints JSON {svgs, images}."""
import json
import re
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

d = Path(sys.argv[1])
svgs = sorted(d.glob("*.svg"))
for s in svgs:
    root = ET.parse(s).getroot()
    assert root.tag.endswith("svg"), s
    marks = [e for e in root.iter() if e.tag.split("}")[1] in ("circle", "rect", "line")]
    assert len(marks) > 5, f"{s}: only {len(marks)} marks"
html = (d / "index.html").read_text()
images = re.findall(r'<img src="([^"]+)"', html)
for i in images:
    assert (d / i).exists(), i
print(json.dumps({"svgs": len(svgs), "images": len(images)}))
