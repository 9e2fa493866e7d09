"""Prototype: PubMed XML -> TSV sections (libxslt via lxml) -> polars frames. One measurement per process.

  python xslt_bench.py whole  FILE            # etree.parse whole file + XSLT + bytes(result), then polars
  python xslt_bench.py chunks FILE [-t N] [-n RECORDS] [--str]
                                              # split on </PubmedArticle> into N-record pieces, each
                                              # wrapped in <PubmedArticleSet>, parsed + transformed on a
                                              # pool of N threads (each with its own parser and XSLT)
  python xslt_bench.py gil FILE [-t N]        # same parsed chunks transformed on N threads: transform only
  python xslt_bench.py check FILE             # row counts vs lxml xpath counts (and vs evidence.parse)

Prints one JSON line.
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import io
import json
import os
import resource
import threading
import time
from pathlib import Path

from lxml import etree

HERE = Path(__file__).resolve().parent
XSL = HERE / "pubmed_tables.xsl"
END = b"</PubmedArticle>"
ROOT = b"<PubmedArticleSet>"
ROOT_END = b"</PubmedArticleSet>"
PARSER_OPTIONS = dict(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=True,
                      remove_comments=True, remove_pis=True)

S, I = "S", "I"  # column kinds
TABLES: dict[str, list[tuple[str, str]]] = {
    "articles": [("pmid", I), ("version", I), ("citation_status", S), ("owner", S), ("indexing_method", S),
                 ("date_completed", S), ("date_revised", S), ("title", S), ("vernacular_title", S),
                 ("abstract", S), ("copyright", S), ("languages", S), ("journal_title", S), ("journal_iso", S),
                 ("issn", S), ("issn_type", S), ("issn_linking", S), ("nlm_unique_id", S),
                 ("journal_country", S), ("volume", S), ("issue", S), ("pages", S), ("pub_year", S),
                 ("pub_month", S), ("pub_day", S), ("pub_season", S), ("medline_date", S), ("article_date", S),
                 ("publication_status", S), ("doi", S), ("pmc", S), ("pii", S)],
    "authors": [("pmid", I), ("position", I), ("last_name", S), ("fore_name", S), ("initials", S), ("suffix", S),
                ("collective_name", S), ("orcid", S), ("equal_contrib", S), ("affiliation", S),
                ("n_affiliations", I)],
    "abstract_sections": [("pmid", I), ("position", I), ("label", S), ("category", S), ("text", S)],
    "mesh": [("pmid", I), ("position", I), ("descriptor", S), ("descriptor_ui", S), ("major", S),
             ("qualifiers", S), ("qualifier_uis", S), ("qualifier_majors", S)],
    "publication_types": [("pmid", I), ("ui", S), ("name", S)],
    "keywords": [("pmid", I), ("owner", S), ("major", S), ("keyword", S)],
    "chemicals": [("pmid", I), ("name", S), ("ui", S), ("registry_number", S)],
    "grants": [("pmid", I), ("grant_id", S), ("acronym", S), ("agency", S), ("country", S)],
    "article_ids": [("pmid", I), ("type", S), ("value", S)],
    "history": [("pmid", I), ("status", S), ("year", S), ("month", S), ("day", S)],
    "databanks": [("pmid", I), ("bank", S), ("accession", S)],
    "comments": [("pmid", I), ("ref_type", S), ("ref_pmid", S), ("ref_source", S)],
}


def cpu_s() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def rss_mb() -> float:
    with open("/proc/self/status") as fh:
        return next(int(line.split()[1]) for line in fh if line.startswith("VmRSS:")) / 1024


def loadavg() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


# ---------------------------------------------------------------- per-thread parser + stylesheet
_local = threading.local()


def tools() -> tuple[etree.XMLParser, etree.XSLT]:
    """This thread's parser and XSLT object (built on first use in the thread)."""
    t = getattr(_local, "tools", None)
    if t is None:
        parser = etree.XMLParser(**PARSER_OPTIONS)
        xslt = etree.XSLT(etree.parse(str(XSL)))
        t = _local.tools = (parser, xslt)
    return t


# ---------------------------------------------------------------- splitting the file
def pieces(path: Path, n: int, block: int = 1 << 22):
    """The file's records, n at a time, each piece wrapped in <PubmedArticleSet>...</...>."""
    with open(path, "rb") as fh:
        buf = fh.read(block)
        i = buf.index(ROOT) + len(ROOT)
        buf = buf[i:]
        eof = False
        while True:
            pos, count, cut = 0, 0, 0
            while count < n:
                j = buf.find(END, pos)
                if j < 0:
                    if eof:
                        break
                    more = fh.read(block)
                    if not more:
                        eof = True
                        continue
                    buf += more
                    continue
                pos = cut = j + len(END)
                count += 1
            if count == 0:
                return
            yield count, b"".join((ROOT, buf[:cut], ROOT_END))
            buf = buf[cut:]


# ---------------------------------------------------------------- text -> frames
def sections(out: bytes) -> dict[str, bytes]:
    parts = (b"\n" + out).split(b"\n@@TABLE ")[1:]
    res = {}
    for p in parts:
        k = p.find(b"\n")
        if k < 0:  # an empty section
            res[p.decode()] = b""
        else:
            res[p[:k].decode()] = p[k + 1:]
    return res


def frames(bodies: dict[str, list[bytes]]):
    import polars as pl
    out = {}
    for name, cols in TABLES.items():
        schema = {c: (pl.Int64 if k == I else pl.String) for c, k in cols}
        data = b"\n".join(b for b in bodies.get(name, []) if b)
        if not data:
            out[name] = pl.DataFrame(schema=schema)
            continue
        out[name] = pl.read_csv(data, has_header=False, separator="\t", quote_char=None, schema=schema)
    return out


# ---------------------------------------------------------------- modes
def work_chunk(n: int, data: bytes, as_str: bool) -> tuple[int, bytes | str, float, float, float]:
    parser, xslt = tools()
    t0 = time.thread_time()
    root = etree.fromstring(data, parser)
    t1 = time.thread_time()
    res = xslt(root.getroottree())
    t2 = time.thread_time()
    out = str(res) if as_str else bytes(res)
    t3 = time.thread_time()
    del res, root
    return n, out, t1 - t0, t2 - t1, t3 - t2


def mode_chunks(path: Path, threads: int, n: int, as_str: bool, with_frames: bool) -> dict:
    la0 = loadavg()
    base = rss_mb()
    c0, w0 = cpu_s(), time.perf_counter()
    records = 0
    tparse = txslt = tser = 0.0
    bodies: dict[str, list[bytes]] = {k: [] for k in TABLES}
    out_bytes = 0

    def collect(f: cf.Future) -> None:
        nonlocal records, tparse, txslt, tser, out_bytes
        k, out, a, b, c = f.result()
        records += k
        tparse += a
        txslt += b
        tser += c
        if isinstance(out, str):
            out = out.encode()
        out_bytes += len(out)
        for name, body in sections(out).items():
            bodies[name].append(body)

    with cf.ThreadPoolExecutor(max_workers=threads) as ex:
        pending: list[cf.Future] = []
        for k, data in pieces(path, n):
            pending.append(ex.submit(work_chunk, k, data, as_str))
            while len(pending) >= 2 * threads:  # bounded: a few pieces in flight
                collect(pending.pop(0))
        for f in pending:
            collect(f)
    c1, w1 = cpu_s(), time.perf_counter()
    peak_transform = peak_mb()
    la1 = loadavg()
    res = dict(mode="chunks", file=path.name, threads=threads, chunk=n, records=records, as_str=as_str,
               transform_cpu_s=round(c1 - c0, 3), transform_wall_s=round(w1 - w0, 3),
               transform_ms_per_record_cpu=round((c1 - c0) / records * 1e3, 4),
               thread_cpu_parse_s=round(tparse, 3), thread_cpu_xslt_s=round(txslt, 3),
               thread_cpu_serialise_s=round(tser, 3),
               text_mb=round(out_bytes / 2**20, 1), baseline_rss_mb=round(base, 1),
               peak_mb_after_transform=round(peak_transform, 1), load_before=la0, load_after=la1)
    if with_frames:
        c2, w2 = cpu_s(), time.perf_counter()
        fr = frames(bodies)
        c3, w3 = cpu_s(), time.perf_counter()
        res.update(frames_cpu_s=round(c3 - c2, 3), frames_wall_s=round(w3 - w2, 3),
                   frames_ms_per_record_cpu=round((c3 - c2) / records * 1e3, 4),
                   rows={k: v.height for k, v in fr.items()}, load_after_frames=loadavg())
    res["peak_mb"] = round(peak_mb(), 1)
    return res


def mode_whole(path: Path, as_str: bool) -> dict:
    la0 = loadavg()
    base = rss_mb()
    parser, xslt = tools()
    c0, w0 = cpu_s(), time.perf_counter()
    tree = etree.parse(str(path), parser)
    c1, w1 = cpu_s(), time.perf_counter()
    res = xslt(tree)
    c2, w2 = cpu_s(), time.perf_counter()
    out = str(res) if as_str else bytes(res)
    c3, w3 = cpu_s(), time.perf_counter()
    records = int(tree.xpath("count(/*/PubmedArticle)"))
    del res, tree
    peak_transform = peak_mb()
    if isinstance(out, str):
        out = out.encode()
    c4, w4 = cpu_s(), time.perf_counter()
    fr = frames({k: [v] for k, v in sections(out).items()})
    c5, w5 = cpu_s(), time.perf_counter()
    return dict(mode="whole", file=path.name, records=records, as_str=as_str,
                parse_cpu_s=round(c1 - c0, 3), xslt_cpu_s=round(c2 - c1, 3), serialise_cpu_s=round(c3 - c2, 3),
                transform_cpu_s=round(c3 - c0, 3), transform_wall_s=round(w3 - w0, 3),
                transform_ms_per_record_cpu=round((c3 - c0) / records * 1e3, 4),
                frames_cpu_s=round(c5 - c4, 3), frames_wall_s=round(w5 - w4, 3),
                frames_ms_per_record_cpu=round((c5 - c4) / records * 1e3, 4),
                text_mb=round(len(out) / 2**20, 1), rows={k: v.height for k, v in fr.items()},
                baseline_rss_mb=round(base, 1), peak_mb_after_transform=round(peak_transform, 1),
                peak_mb=round(peak_mb(), 1), load_before=la0, load_after=loadavg())


def mode_gil(path: Path, threads: int, n: int, reps: int) -> dict:
    """Transform only: every thread parses its share of the pieces first (not timed), then all
    threads run the XSLT on their own documents at once; wall vs summed thread CPU."""
    datas = [d for _, d in pieces(path, n)]
    records = int(sum(d.count(END) for d in datas))
    barrier = threading.Barrier(threads + 1)
    shares = [datas[i::threads] for i in range(threads)]
    cpu = [0.0] * threads

    def run(i: int) -> None:
        parser, xslt = tools()
        docs = [etree.fromstring(d, parser).getroottree() for d in shares[i]]
        barrier.wait()
        t0 = time.thread_time()
        for _ in range(reps):
            for d in docs:
                bytes(xslt(d))
        cpu[i] = time.thread_time() - t0
        barrier.wait()

    ts = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    for t in ts:
        t.start()
    la0 = loadavg()
    barrier.wait()
    w0 = time.perf_counter()
    barrier.wait()
    w1 = time.perf_counter()
    for t in ts:
        t.join()
    wall = w1 - w0
    tot = sum(cpu)
    return dict(mode="gil", file=path.name, threads=threads, chunk=n, reps=reps, records=records * reps,
                xslt_wall_s=round(wall, 3), xslt_thread_cpu_s=round(tot, 3),
                parallelism=round(tot / wall, 2), ms_per_record_wall=round(wall / (records * reps) * 1e3, 4),
                peak_mb=round(peak_mb(), 1), load_before=la0, load_after=loadavg())


def mode_check(path: Path, n: int, compare_python: bool) -> dict:
    """Rows the stylesheet writes vs what plain lxml xpath counts on the same file."""
    parser = etree.XMLParser(**PARSER_OPTIONS)
    tree = etree.parse(str(path), parser)
    x = {
        "articles": "count(/*/PubmedArticle)",
        "authors": "count(/*/PubmedArticle/MedlineCitation/Article/AuthorList[1]/Author)",
        "mesh": "count(/*/PubmedArticle/MedlineCitation/MeshHeadingList/MeshHeading[DescriptorName])",
        "publication_types": "count(/*/PubmedArticle/MedlineCitation/Article/PublicationTypeList/PublicationType)",
        "keywords": "count(/*/PubmedArticle/MedlineCitation/KeywordList/Keyword)",
        "article_ids": "count(/*/PubmedArticle/PubmedData/ArticleIdList/ArticleId)",
        "history": "count(/*/PubmedArticle/PubmedData/History/PubMedPubDate)",
        "abstract_sections": "count(/*/PubmedArticle/MedlineCitation/Article/Abstract/AbstractText)",
        "chemicals": "count(/*/PubmedArticle/MedlineCitation/ChemicalList/Chemical)",
        "grants": "count(/*/PubmedArticle/MedlineCitation/Article/GrantList/Grant)",
        "comments": "count(/*/PubmedArticle/MedlineCitation/CommentsCorrectionsList/CommentsCorrections)",
        "qualifiers": "count(/*/PubmedArticle/MedlineCitation/MeshHeadingList/MeshHeading/QualifierName)",
    }
    xp = {k: int(tree.xpath(v)) for k, v in x.items()}
    del tree
    # the chunked path (what is measured), frames built
    bodies: dict[str, list[bytes]] = {k: [] for k in TABLES}
    for k, data in pieces(path, n):
        _, out, *_ = work_chunk(k, data, False)
        for name, body in sections(out).items():
            bodies[name].append(body)
    fr = frames(bodies)
    rows = {k: v.height for k, v in fr.items()}
    q = fr["mesh"]["qualifiers"].drop_nulls().str.split("|").list.len().sum()
    rows["qualifiers"] = int(q or 0)
    res = dict(mode="check", file=path.name, xpath=xp, xslt_rows={k: rows.get(k) for k in xp},
               mismatches={k: (xp[k], rows.get(k)) for k in xp if xp[k] != rows.get(k)})
    if compare_python:
        import sys
        sys.dont_write_bytecode = True
        sys.path.insert(0, "/work/main/src")
        from evidence.parse import Deletion, iter_records  # read-only use of the project's parser
        recs = [r for r in iter_records(path) if not isinstance(r, Deletion)]
        py = {"articles": len(recs), "authors": sum(len(r["authors"]) for r in recs),
              "mesh": sum(len(r["mesh"]) for r in recs),
              "publication_types": sum(len(r["publication_types"]) for r in recs),
              "keywords": sum(len(r["keywords"]) for r in recs),
              "article_ids": sum(len(r["article_ids"]) for r in recs),
              "history": sum(len(r["history"]) for r in recs),
              "abstract_sections": sum(len(r["abstract_sections"]) for r in recs),
              "chemicals": sum(len(r["chemicals"]) for r in recs),
              "grants": sum(len(r["grants"]) for r in recs),
              "comments": sum(len(r["comments_corrections"]) for r in recs),
              "qualifiers": sum(len(m["qualifiers"]) for r in recs for m in r["mesh"])}
        res["python_parser"] = py
        # field-level spot check on the articles table
        a = fr["articles"]
        cols = ["title", "abstract", "journal_title", "journal_iso", "issn", "volume", "issue", "pages", "doi",
                "pmc", "publication_status"]
        diffs = {c: 0 for c in cols}
        examples = {}
        for r, row in zip(recs, a.iter_rows(named=True)):
            assert r["pmid"] == str(row["pmid"])
            for c in cols:
                if (r[c] or None) != (row[c] or None):
                    diffs[c] += 1
                    examples.setdefault(c, (r["pmid"], r[c], row[c]))
        au = fr["authors"]
        first_aff = [(aa["affiliations"][0] if aa["affiliations"] else None) for r in recs for aa in r["authors"]]
        last = [aa["last_name"] for r in recs for aa in r["authors"]]
        diffs["author_last_name"] = sum(1 for p, q in zip(last, au["last_name"].to_list()) if p != q)
        diffs["author_first_affiliation"] = sum(1 for p, q in zip(first_aff, au["affiliation"].to_list()) if p != q)
        res["field_differences_vs_python"] = diffs
        res["examples"] = {k: [str(x)[:120] for x in v] for k, v in examples.items()}
    return res


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["whole", "chunks", "gil", "check"])
    ap.add_argument("file", type=Path)
    ap.add_argument("-t", "--threads", type=int, default=1)
    ap.add_argument("-n", "--chunk", type=int, default=2000)
    ap.add_argument("--str", action="store_true", help="str(result) instead of bytes(result)")
    ap.add_argument("--no-frames", action="store_true")
    ap.add_argument("--reps", type=int, default=1)
    ap.add_argument("--python", action="store_true", help="check: compare with evidence.parse too")
    a = ap.parse_args()
    if a.mode == "whole":
        r = mode_whole(a.file, a.str)
    elif a.mode == "chunks":
        r = mode_chunks(a.file, a.threads, a.chunk, a.str, not a.no_frames)
    elif a.mode == "gil":
        r = mode_gil(a.file, a.threads, a.chunk, a.reps)
    else:
        r = mode_check(a.file, a.chunk, a.python)
    print(json.dumps(r))


if __name__ == "__main__":
    main()
