"""Checks kotapintar's open-data catalogue with the clients harvesters and developers use.
Run by scripts/opendata-check against a demo server; prints one line per check and ends with
"every open-data check passed"."""
import csv
import hashlib
import io
import json
import subprocess
import sys
import tempfile
import urllib.request

import ckanapi
import rdflib

base = sys.argv[1].rstrip("/")


def ok(msg):
    print(f"ok: {msg}", flush=True)


def get(path, headers=None):
    req = urllib.request.Request(base + path, headers=headers or {})
    with urllib.request.urlopen(req, timeout=30) as r:
        return r.status, r.headers, r.read()


for get_only in (False, True):
    how = "GET" if get_only else "POST"
    rc = ckanapi.RemoteCKAN(base, get_only=get_only, user_agent="kotapintar-opendata-check")
    a = rc.action
    status = a.status_show()
    assert status["ckan_version"].startswith("2."), status
    assert a.site_read() is True
    assert "rows" in a.help_show(name="package_search")

    names = a.package_list()
    assert len(names) >= 4, names
    assert names == sorted(names), names
    assert "rencana-kerja-2027" not in names, "a dataset waiting for the walidata is public"
    ok(f"{how} package_list: {len(names)} datasets, sorted, none unapproved")

    everything = a.package_search(rows=1000, **{"facet.field": ["organization", "tags", "res_format"]})
    assert everything["count"] == len(names), (everything["count"], names)
    assert {d["name"] for d in everything["results"]} == set(names)
    orgs = everything["search_facets"]["organization"]["items"]
    assert orgs and all(i["count"] >= 1 and i["display_name"] for i in orgs), orgs
    assert "CSV" in everything["facets"]["res_format"], everything["facets"]

    # the forms the CKAN harvester sends: fq on organization and metadata_modified, paging by id
    org = "bappeda"
    by_org = a.package_search(fq=f"organization:{org}", rows=10)
    assert by_org["count"] >= 1 and all(d["organization"]["name"] == org for d in by_org["results"]), by_org
    excluded = a.package_search(fq=f"-organization:{org}", rows=1000)
    assert excluded["count"] == everything["count"] - by_org["count"], excluded["count"]
    since = a.package_search(fq="metadata_modified:[2020-01-01T00:00:00Z TO *]", rows=1000)
    assert since["count"] == everything["count"]
    future = a.package_search(fq="metadata_modified:[2999-01-01T00:00:00.123456Z TO *]")
    assert future["count"] == 0 and future["results"] == []
    seen = []
    start = 0
    while True:
        page = a.package_search(rows=2, start=start, sort="id asc")
        if not page["results"]:
            break
        seen += [d["id"] for d in page["results"]]
        start += 2
    assert seen == sorted(seen) and len(seen) == len(set(seen)) == len(names), seen
    newest = a.package_search(q="kinerja", sort="metadata_modified desc", rows=5)
    assert newest["count"] >= 1 and newest["results"][0]["name"] == "kinerja-pengaduan", newest
    ok(f"{how} package_search: q, fq (organization, -organization, metadata_modified ranges), paging by id, facets")

    d = a.package_show(id="pasar-tradisional-per-kecamatan", include_password_hash=True)
    assert d["id"] and d["organization"]["name"] == "bappeda", d
    assert len(d["metadata_modified"]) == 26 and "Z" not in d["metadata_modified"], d["metadata_modified"]
    assert all(isinstance(e["value"], str) for e in d["extras"]), d["extras"]
    same = a.package_show(id=d["id"])
    assert same["name"] == d["name"]
    r = d["resources"][0]
    assert r["datastore_active"] is True and r["format"] == "CSV" and r["url"].startswith(base), r
    assert a.resource_show(id=r["id"])["url"] == r["url"]
    ok(f"{how} package_show by name and id, resource_show")

    # over GET a dict must travel as JSON text (requests would send only its keys)
    filters = {"kecamatan": "Mengwi"}
    found = a.datastore_search(resource_id=r["id"], filters=json.dumps(filters) if get_only else filters,
                               sort="tahun asc", limit=10)
    assert found["total"] == 2, found
    assert [x["tahun"] for x in found["records"]] == [2024, 2025], found["records"]
    assert {f["id"]: f["type"] for f in found["fields"]}["pedagang"] == "int", found["fields"]
    paged = a.datastore_search(resource_id=r["id"], limit=5, offset=10)
    assert paged["total"] == 12 and len(paged["records"]) == 2, paged
    ok(f"{how} datastore_search: filters, sort, paging, typed fields")

    all_orgs = a.organization_list(all_fields=True, limit=1000)
    assert any(o["name"] == "bappeda" and o["package_count"] >= 1 for o in all_orgs), all_orgs
    assert a.organization_show(id="bappeda", include_datasets=True)["packages"]
    assert "ekonomi" in a.group_list()
    assert "pasar" in a.tag_list()
    assert any(l["id"] == "cc-by" for l in a.license_list())
    ok(f"{how} organization_list/show, group_list, tag_list, license_list")

    # issue 18: the actions and arguments added for CKAN 2.10/2.11 clients
    tag = a.tag_show(id="pasar", include_datasets=True)
    assert tag["name"] == "pasar" and tag["packages"], tag
    auto = a.package_autocomplete(q="pasar-tradisional")
    assert auto and auto[0]["match_field"] == "name", auto
    activity = a.recently_changed_packages_activity_list(limit=3)
    assert 1 <= len(activity) <= 3 and activity[0]["data"]["package"]["name"] in names, activity
    by_title = a.package_search(q="title:pasar", fq="metadata_modified:[NOW-10YEARS TO NOW+1DAY]", fl="id,name")
    assert by_title["count"] >= 1 and set(by_title["results"][0]) == {"id", "name"}, by_title
    distinct = a.datastore_search(resource_id=r["id"], fields="kecamatan", distinct=True, limit=100)
    kec = [x["kecamatan"] for x in distinct["records"]]
    assert kec and len(kec) == len(set(kec)), kec
    assert "fields=kecamatan" in distinct["_links"]["next"], distinct["_links"]
    ok(f"{how} tag_show, package_autocomplete, recently_changed_packages_activity_list, fl, date math, distinct")

    try:
        a.package_show(id="tidak-ada")
        raise AssertionError("package_show of a missing dataset did not fail")
    except ckanapi.NotFound:
        pass
    try:
        a.organization_show(id="ekonomi")
        raise AssertionError("a group id given to organization_show did not fail")
    except ckanapi.NotFound:
        pass
    try:
        a.package_search(rows="banyak")
        raise AssertionError("rows=banyak did not fail")
    except ckanapi.ValidationError as e:
        assert "rows" in e.error_dict, e.error_dict
    try:
        a.package_create(name="x")
        raise AssertionError("package_create did not fail")
    except ckanapi.NotAuthorized:
        pass
    try:
        a.no_such_action()
        raise AssertionError("an unknown action did not fail")
    except ckanapi.CKANAPIError:
        pass
    ok(f"{how} errors: NotFound, ValidationError, NotAuthorized, unknown action")

# a resource downloads from its stable address, whole and as described
d = ckanapi.RemoteCKAN(base).action.package_show(id="pasar-tradisional-per-kecamatan")
r = d["resources"][0]
status, headers, body = get(r["url"][len(base):])
assert status == 200 and headers["Content-Type"].startswith("text/csv"), headers
assert len(body) == r["size"], (len(body), r["size"])
assert r["hash"] == "sha256:" + hashlib.sha256(body).hexdigest(), r["hash"]
rows = list(csv.DictReader(io.StringIO(body.decode("utf-8"))))
assert len(rows) == 12 and rows[0]["kecamatan"] == "Kuta Selatan", rows[:1]
status, _, dump = get(f"/datastore/dump/{r['id']}")
assert dump.decode().splitlines()[0] == "_id,kecamatan,tahun,pasar_tradisional,pedagang"
live = ckanapi.RemoteCKAN(base).action.package_show(id="perangkat-daerah-dan-layanan")
status, headers, body = get(live["resources"][0]["url"][len(base):])
units = list(csv.DictReader(io.StringIO(body.decode("utf-8"))))
assert any(u["kode"] == "DISKOMINFO" for u in units), units[:3]
ok("downloads: uploaded CSV (size and sha256 as announced), DataStore dump, live table")

# the ckanapi command, as people use it
out = subprocess.run(["ckanapi", "search", "datasets", "q=pasar", "-r", base],
                     check=True, capture_output=True, text=True).stdout
hits = [json.loads(line) for line in out.splitlines() if line.strip()]
assert [h["name"] for h in hits] == ["pasar-tradisional-per-kecamatan"], hits
with tempfile.TemporaryDirectory() as tmp:
    subprocess.run(["ckanapi", "dump", "datasets", "--all", "-r", base, "-O", f"{tmp}/all.jsonl", "-p", "1", "-q"],
                   check=True, capture_output=True, text=True)
    dumped = [json.loads(l) for l in open(f"{tmp}/all.jsonl") if l.strip()]
    assert sorted(x["name"] for x in dumped) == sorted(names), dumped
ok("ckanapi command: search datasets, dump datasets --all")

# DCAT-AP 3.0.1: parsed by rdflib from both syntaxes; the mandatory properties present
DCAT = "http://www.w3.org/ns/dcat#"
for ext, fmt in (("ttl", "turtle"), ("jsonld", "json-ld")):
    status, headers, body = get(f"/dcat/catalog.{ext}")
    g = rdflib.Graph()
    g.parse(data=body, format=fmt)
    q = lambda s: list(g.query(s, initNs={"dcat": DCAT, "dct": "http://purl.org/dc/terms/",
                                          "foaf": "http://xmlns.com/foaf/0.1/",
                                          "hydra": "http://www.w3.org/ns/hydra/core#"}))
    cats = q("SELECT ?c ?t ?d ?p ?pn WHERE { ?c a dcat:Catalog ; dct:title ?t ; dct:description ?d ; dct:publisher ?p . ?p a foaf:Agent ; foaf:name ?pn }")
    assert len(cats) == 1, cats
    datasets = q("SELECT ?d WHERE { ?c a dcat:Catalog ; dcat:dataset ?d }")
    assert len(datasets) == len(names), (len(datasets), len(names))
    bad = q("SELECT ?d WHERE { ?d a dcat:Dataset . FILTER NOT EXISTS { ?d dct:title ?t ; dct:description ?x } }")
    assert not bad, bad
    bad = q("SELECT ?x WHERE { ?x a dcat:Distribution . FILTER NOT EXISTS { ?x dcat:accessURL ?u } }")
    assert not bad, bad
    bad = q("SELECT ?a WHERE { ?a a foaf:Agent . FILTER NOT EXISTS { ?a foaf:name ?n } }")
    assert not bad, bad
    bad = q("SELECT ?m WHERE { ?x dcat:mediaType ?m . FILTER NOT EXISTS { ?m a dct:MediaType } }")
    assert not bad, bad
    dists = q("SELECT ?x WHERE { ?x a dcat:Distribution ; dcat:downloadURL ?u }")
    assert len(dists) >= 7, dists
    paging = q("SELECT ?t WHERE { ?p a hydra:PagedCollection ; hydra:totalItems ?t }")
    assert [int(t[0]) for t in paging] == [len(names)], paging
    ok(f"DCAT-AP catalog.{ext}: parsed by rdflib, every mandatory property, Hydra paging")
status, headers, body = get(f"/dataset/{d['id']}.ttl")
assert headers["Content-Type"].startswith("text/turtle")
rdflib.Graph().parse(data=body, format="turtle")

# DCAT-US 1.1, non-federal: the required fields
status, headers, body = get("/data.json")
cat = json.loads(body)
assert cat["conformsTo"] == "https://project-open-data.cio.gov/v1.1/schema", cat.get("conformsTo")
assert len(cat["dataset"]) == len(names)
for ds in cat["dataset"]:
    for field in ("title", "description", "keyword", "modified", "publisher", "contactPoint", "identifier", "accessLevel"):
        assert ds.get(field), (field, ds.get("title"))
    assert ds["keyword"] and ds["publisher"]["name"] and ds["contactPoint"]["fn"], ds
    assert ds["contactPoint"]["hasEmail"].startswith("mailto:"), ds["contactPoint"]
    assert ds["accessLevel"] in ("public", "restricted public", "non-public")
    for dist in ds["distribution"]:
        if "downloadURL" in dist:
            assert "/" in dist["mediaType"], dist
ok("data.json: DCAT-US 1.1 required fields in every dataset and distribution")

print("every open-data check passed")
