"""Runs the standards' own validators over kotapintar's catalogue on a live server:
  - pyshacl with the official DCAT-AP 3.0.1 SHACL shapes (validators/dcatap/shacl/) over the
    catalogue in Turtle and JSON-LD (every Hydra page) and over one dataset and one distribution
    fetched from their own IRIs by content negotiation; each must report `Conforms: True`;
  - the Project Open Data (DCAT-US) v1.1 JSON schemas (validators/pod/) over /data.json, with
    0 errors outside the two US-federal fields (see EXCUSED).
Run by scripts/opendata-check after check.py; exits non-zero on any failure."""
import json
import pathlib
import sys
import time
import urllib.request

import jsonschema
import pyshacl
import rdflib
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

root = pathlib.Path(__file__).resolve().parents[2]
base = sys.argv[1].rstrip("/")
SH = rdflib.Namespace("http://www.w3.org/ns/shacl#")
DCAT = rdflib.Namespace("http://www.w3.org/ns/dcat#")
HYDRA = rdflib.Namespace("http://www.w3.org/ns/hydra/core#")
failures = []


def ok(msg):
    print(f"ok: {msg}", flush=True)


def fail(msg):
    print(f"FAIL: {msg}", flush=True)
    failures.append(msg)


def get(url, accept):
    req = urllib.request.Request(url if url.startswith("http") else base + url, headers={"Accept": accept})
    with urllib.request.urlopen(req, timeout=30) as r:
        return r.status, r.headers, r.read()


def load_shapes():
    """The two official files as one shapes graph, less the release's five dangling
    `sh:property` references (shapes neither file defines; pyshacl stops on them)."""
    g = rdflib.Graph()
    for name in ("dcat-ap-SHACL.ttl", "ranges.ttl"):
        g.parse(root / "validators/dcatap/shacl" / name, format="turtle")
    dangling = [(s, o) for s, o in g.subject_objects(SH.property)
                if isinstance(o, rdflib.URIRef) and (o, None, None) not in g]
    assert len(dangling) == 5, f"expected the release's 5 dangling references, found {dangling}"
    for s, o in dangling:
        g.remove((s, SH.property, o))
    return g


started = time.monotonic()
shapes = load_shapes()


def shacl(label, graph):
    conforms, _, text = pyshacl.validate(graph, shacl_graph=shapes, inference="none", meta_shacl=False)
    if conforms:
        ok(f"DCAT-AP 3.0.1 SHACL: {label} conforms ({len(graph)} triples)")
    else:
        fail(f"DCAT-AP 3.0.1 SHACL: {label} does not conform\n{text}")


# the whole catalogue, page after page, in both syntaxes
first_dataset = None
for ext, fmt, mime in (("ttl", "turtle", "text/turtle"), ("jsonld", "json-ld", "application/ld+json")):
    url = f"/dcat/catalog.{ext}"
    pages = 0
    while url:
        status, headers, body = get(url, mime)
        assert headers["Content-Type"].startswith(mime), (url, headers["Content-Type"])
        g = rdflib.Graph().parse(data=body, format=fmt, publicID=base + "/")
        pages += 1
        shacl(f"{url} (page {pages})", g)
        first_dataset = first_dataset or next(g.objects(None, DCAT.dataset), None)
        nxt = next(g.objects(None, HYDRA.next), None)
        url = str(nxt) if nxt else None
        assert pages < 1000, "Hydra paging does not end"

# the identifiers themselves, dereferenced by content negotiation
assert first_dataset is not None, "the catalogue lists no dataset"
dist = None
for iri, mime, fmt in ((f"{base}/dcat/catalog", "text/turtle", "turtle"),
                       (str(first_dataset), "application/ld+json", "json-ld"),
                       (str(first_dataset), "text/turtle", "turtle")):
    status, headers, body = get(iri, mime)
    assert headers["Content-Type"].startswith(mime), (iri, headers["Content-Type"])
    assert "Accept" in headers.get("Vary", ""), (iri, headers.get("Vary"))
    g = rdflib.Graph().parse(data=body, format=fmt, publicID=iri)
    assert (rdflib.URIRef(iri), None, None) in g, f"{iri} does not describe itself"
    if fmt == "turtle" and iri == str(first_dataset):
        dist = next(g.objects(rdflib.URIRef(iri), DCAT.distribution), None)
    shacl(f"<{iri}> as {mime}", g)
assert dist is not None, f"{first_dataset} has no distribution"
status, headers, body = get(str(dist), "text/turtle")
g = rdflib.Graph().parse(data=body, format="turtle", publicID=str(dist))
assert (dist, rdflib.RDF.type, DCAT.Distribution) in g, f"{dist} is not a distribution"
shacl(f"<{dist}> as text/turtle", g)

# Project Open Data v1.1 on /data.json
# bureauCode and programCode are required by dataset.json, but they are codes of the US federal
# budget (OMB Circular A-11 bureau codes, the Federal Program Inventory): a regency has none,
# and inventing them would be false. Only their "required" errors are excused; a wrong value in
# either field (kotapintar sends neither) would still fail.
EXCUSED = ("bureauCode", "programCode")
pod = root / "validators/pod"
registry = Registry()
for f in sorted(pod.glob("*.json")):
    registry = registry.with_resource(
        f"https://project-open-data.cio.gov/v1.1/schema/{f.name}",
        Resource.from_contents(json.loads(f.read_text()), default_specification=DRAFT4))
schema = json.loads((pod / "catalog.json").read_text())
validator = jsonschema.Draft4Validator(schema, registry=registry,
                                       format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER)
status, headers, body = get("/data.json", "application/json")
catalogue = json.loads(body)
errors, excused = [], 0
for e in validator.iter_errors(catalogue):
    if e.validator == "required" and e.message in [f"'{p}' is a required property" for p in EXCUSED]:
        excused += 1
    else:
        errors.append(e)
if errors:
    fail("POD v1.1: /data.json has %d errors:\n%s" % (len(errors), "\n".join(
        f"  {'/'.join(map(str, e.absolute_path))}: {e.message[:300]}" for e in errors[:30])))
else:
    n = len(catalogue["dataset"])
    assert excused == 2 * n, (excused, n)
    temporal = [d["temporal"] for d in catalogue["dataset"] if "temporal" in d]
    assert temporal, "no dataset carries temporal: the pattern went unchecked"
    ok(f"POD v1.1 JSON schemas: /data.json, {n} datasets, 0 errors "
       f"(excused: {excused} missing federal-only {' and '.join(EXCUSED)}); temporal {temporal}")

if failures:
    sys.exit(f"{len(failures)} validator check(s) failed")
print(f"every validator passed in {time.monotonic() - started:.1f}s")
