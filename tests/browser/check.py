"""Drives headless Chromium through the error page gallery
(examples/error_pages.rs) and checks each page through the browser's DOM
dump. Run by check.sh, which starts the gallery: check.py ADDR OUT_DIR
[--screenshots]."""

import html.parser
import os
import re
import shutil
import subprocess
import sys
import tempfile

ADDR, OUT = sys.argv[1], sys.argv[2]
SCREENSHOTS = "--screenshots" in sys.argv[3:]
SUPPORT_URL = "https://status.example.com/?from=error-page"
# A hostile request id: if it were not escaped, the browser would build an
# <img> element (and try to load it) from it.
HOSTILE_ID = "<img src=x onerror=alert(1)>\"'&amp;"
HOSTILE_ID_QUERY = "%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E%22'%26amp%3B"
# Elements and attributes that load something or run something.
LOADING_TAGS = {"script", "img", "link", "iframe", "object", "embed", "video",
                "audio", "source", "picture", "image", "frame", "base", "svg"}
LOADING_ATTRS = {"src", "srcset", "poster", "data", "background", "action",
                 "formaction", "style"}
TIME = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC")

PROFILE = tempfile.mkdtemp(prefix="error-pages-chromium-")
# The flags this machine kind's Chromium needs (no sandbox as root, and no
# background calls to Google's hosts, which the closed network refuses).
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
         "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--hide-scrollbars",
         "--user-data-dir=" + PROFILE]


def chromium(*args):
    result = subprocess.run(["chromium", *FLAGS, *args], capture_output=True,
                            text=True, timeout=90)
    if result.returncode != 0:
        sys.exit(f"chromium failed ({result.returncode}): {result.stderr[-2000:]}")
    return result.stdout


class Page(html.parser.HTMLParser):
    """What a check needs of a DOM dump."""

    def __init__(self, dom):
        super().__init__(convert_charrefs=True)
        self.lang = None
        self.tags = []
        self.hrefs = []
        self.problems = []
        self.codes = []
        self.h1 = ""
        self.styles = ""
        self.text = ""
        self._in = []
        self.feed(dom)

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self._in.append(tag)
        attrs = dict(attrs)
        if tag == "html":
            self.lang = attrs.get("lang")
        if tag in LOADING_TAGS:
            self.problems.append(f"a <{tag}> element")
        for name in attrs:
            if name in LOADING_ATTRS or name.startswith("on"):
                self.problems.append(f"a {name}= attribute on <{tag}>")
        if "href" in attrs:
            self.hrefs.append(attrs["href"])
        if tag == "code":
            self.codes.append("")

    def handle_endtag(self, tag):
        if self._in and self._in[-1] == tag:
            self._in.pop()

    def handle_data(self, data):
        self.text += data
        if "style" in self._in:
            self.styles += data
        if "h1" in self._in:
            self.h1 += data
        if "code" in self._in and self.codes:
            self.codes[-1] += data


def page(kind, accept_language, request_id=True):
    url = f"http://{ADDR}/{kind}"
    if request_id:
        url += "?id=" + HOSTILE_ID_QUERY
    return Page(chromium(f"--accept-lang={accept_language}", "--dump-dom", url))


def check(kind, accept_language, expected_lang):
    found = page(kind, accept_language)
    where = f"{kind} with Accept-Language {accept_language}"
    problems = list(found.problems)
    if found.lang != expected_lang:
        problems.append(f"lang={found.lang!r}, expected {expected_lang!r}")
    if HOSTILE_ID not in found.codes:
        problems.append(f"the request id is not shown as text: {found.codes}")
    if kind not in found.codes:
        problems.append(f"the error type {kind} is not shown: {found.codes}")
    if found.hrefs != [SUPPORT_URL]:
        problems.append(f"links other than the support link: {found.hrefs}")
    if "url(" in found.styles or "@import" in found.styles:
        problems.append("the stylesheet loads something")
    if "prefers-color-scheme:dark" not in found.styles.replace(" ", ""):
        problems.append("no dark variant")
    if not TIME.search(found.text):
        problems.append("no UTC time")
    if not found.h1.strip():
        problems.append("no heading")
    if problems:
        sys.exit(f"{where}:\n  " + "\n  ".join(problems))
    return found


def kinds():
    index = Page(chromium("--dump-dom", f"http://{ADDR}/"))
    return [href.strip("/") for href in index.hrefs]


def main():
    all_kinds = kinds()
    assert len(all_kinds) > 30, all_kinds
    languages = ["en", "de", "es", "fr", "ja", "pt-BR", "zh-Hans"]
    headings = {}
    # Every kind, each in one of the languages in turn, so every language
    # is seen several times.
    for i, kind in enumerate(all_kinds):
        lang = languages[i % len(languages)]
        found = check(kind, lang, lang)
        headings[(kind, lang)] = found.h1
    print(f"{len(all_kinds)} kinds checked, in {len(languages)} languages")
    # Negotiation as browsers send it: Chromium turns a list of tags into
    # `Accept-Language` with descending q-values of its own.
    for accept, expected in [("de-CH,de,en", "de"),
                             ("zh-CN,zh", "zh-Hans"),
                             ("pt-BR", "pt-BR"),
                             ("pt-PT,pt", "pt-BR"),
                             ("zh-TW,zh,en-US,en", "en"),
                             ("nl,fr", "fr"),
                             ("nl", "en")]:
        check("connection_refused", accept, expected)
        print(f"Accept-Language {accept}: {expected}")
    english = page("connection_refused", "en", request_id=False)
    german = page("connection_refused", "de", request_id=False)
    if english.h1 == german.h1:
        sys.exit("the German page has the English heading")
    if "Request ID" in english.text:
        sys.exit("a page without a request id still labels one")
    print("without a request id, no label for one")

    if SCREENSHOTS:
        os.makedirs(OUT, exist_ok=True)
        for kind in all_kinds:
            for lang in ["en", "de", "ja"]:
                for scheme, flags in [("light", []),
                                      ("dark", ["--force-dark-mode",
                                                "--blink-settings=preferredColorScheme=0"])]:
                    path = os.path.join(OUT, f"{kind}-{lang}-{scheme}.png")
                    chromium(f"--accept-lang={lang}", "--window-size=412,1000",
                             *flags, f"--screenshot={os.path.abspath(path)}",
                             f"http://{ADDR}/{kind}?id=req-7f3a9c")
                    print("wrote", path)
    print("browser check passed")


try:
    main()
finally:
    shutil.rmtree(PROFILE, ignore_errors=True)
