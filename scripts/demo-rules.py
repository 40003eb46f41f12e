#!/usr/bin/env python3
"""Gives the demo account rules on its mail server, through Facteur's own pages.

Signs in to a running Facteur as a user would (login form, then the Filters and Vacation
forms), so that the rules are written exactly as Facteur writes them: two filters (mail from
the friend account starred; mail whose subject holds "Facteur" filed in Projets/Facteur) and
a vacation reply, written but turned off. Standard library only.

    scripts/demo-rules.py --url http://127.0.0.1:8080 --user demo@example.test --password demo \
        --friend friend@example.test
"""

import argparse
import http.cookiejar
import re
import sys
import urllib.parse
import urllib.request


def token(html):
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    if not found:
        sys.exit("demo-rules: no form token on the page")
    return found.group(1)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--user", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--friend", required=True)
    args = parser.parse_args()
    jar = http.cookiejar.CookieJar()
    web = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))

    def get(path):
        with web.open(args.url + path) as r:
            return r.read().decode()

    def post(path, fields):
        data = urllib.parse.urlencode(fields).encode()
        with web.open(args.url + path, data=data) as r:
            return r.read().decode()

    page = post("/login", [("csrf", token(get("/login"))), ("username", args.user), ("password", args.password)])
    if "/logout" not in page:
        sys.exit("demo-rules: could not sign in")
    filters = get("/settings/filters")
    if "filter-form" not in filters:
        print("demo-rules: no rules on this mail server (ManageSieve)")
        return
    if "No filter yet." not in filters:
        return
    t = token(filters)
    post("/settings/filters", [("csrf", t), ("name", "Friends first"), ("field", "from"), ("op", "contains"),
                               ("value", args.friend), ("action", "star"), ("target", "")])
    post("/settings/filters", [("csrf", t), ("name", "Facteur project"), ("field", "subject"), ("op", "contains"),
                               ("value", "Facteur"), ("action", "move"), ("target", "Projets/Facteur")])
    post("/settings/vacation", [("csrf", t), ("subject", "Absent / Away"),
                                ("body", "Je suis absent jusqu'à lundi.\nI am away until Monday."),
                                ("days", "7")])
    print("demo-rules: two filters and a vacation reply (off) written on the mail server")


if __name__ == "__main__":
    main()
