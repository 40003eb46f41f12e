#!/usr/bin/env python3
"""Seed an IMAP account with a varied, realistic demo mailbox for Facteur.

    python3 scripts/demo-corpus.py --host 127.0.0.1 --port 1143 \\
        --user alice@example.test --password secret [--count 300]

What it creates (deterministic for a given --seed and --anchor):
  * INBOX: plain French mail, HTML newsletters, attachments (generated PDF,
    PNG, CSV), inline cid: images, subjects in German, Japanese, Russian,
    with emoji, the legacy-charset messages of tests/fixtures (ISO-8859-1,
    windows-1252, KOI8-R, unknown charset), discussion threads
    (Re: chains with In-Reply-To/References);
  * folders Projets, Projets/Facteur, Famille, Famille/Été 2026 and 日本語
    (names sent in modified UTF-7), each with a few messages;
  * a few messages in Sent, Drafts, Junk, Trash and Archive;
  * dates spread over the 90 days before --anchor (default: today, UTC), the
    APPEND INTERNALDATE equal to the Date header; some \\Seen, \\Flagged,
    \\Answered (and \\Draft in Drafts), and labels: keywords as Thunderbird
    writes its tags ($label1 to $label5, and tags of one's own).

Runs again on the same account append again, unless --reset is given: it
first deletes every message of the folders above and the created folders.

Python 3.11 standard library only.
"""

import argparse
import base64
import datetime as dt
import email.policy
import email.utils
import imaplib
import importlib.util
import random
import re
import ssl
import sys
import time
from email.message import EmailMessage
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"

POLICY = email.policy.SMTP  # CRLF line ends, RFC 2047 encoded headers


# Labels: Thunderbird's five tags and two of the user's own (keywords are IMAP atoms:
# spaces as "_", accents in modified UTF-7, as Thunderbird writes them).
LABELS = ["$label1", "$label2", "$label3", "$label4", "$label5", "Voyage", "Projet_Lumi&AOg-re"]


def load_fixture_helpers():
    sys.dont_write_bytecode = True  # no __pycache__ inside tests/fixtures
    spec = importlib.util.spec_from_file_location("make_fixtures", FIXTURES / "make_fixtures.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


FX = load_fixture_helpers()


# ---------------------------------------------------------------------------
# Modified UTF-7 (RFC 3501 section 5.1.3) for mailbox names


def mutf7_encode(name):
    out = []
    pending = []

    def flush():
        if pending:
            raw = "".join(pending).encode("utf-16-be")
            b64 = base64.b64encode(raw).decode("ascii").rstrip("=").replace("/", ",")
            out.append("&" + b64 + "-")
            pending.clear()

    for char in name:
        if 0x20 <= ord(char) <= 0x7E:
            flush()
            out.append("&-" if char == "&" else char)
        else:
            pending.append(char)
    flush()
    return "".join(out)


def mutf7_decode(name):
    def repl(match):
        chunk = match.group(1)
        if not chunk:
            return "&"
        b64 = chunk.replace(",", "/")
        b64 += "=" * (-len(b64) % 4)
        return base64.b64decode(b64).decode("utf-16-be")

    return re.sub(r"&([A-Za-z0-9+,]*)-", repl, name)


def quote(mailbox):
    """An IMAP quoted string (imaplib sends arguments verbatim)."""
    encoded = mutf7_encode(mailbox)
    return '"' + encoded.replace("\\", "\\\\").replace('"', '\\"') + '"'


# ---------------------------------------------------------------------------
# People and words

ALICE = ("Alice Martin", "alice@example.test")

FRENCH = [
    ("Bob Lefort", "bob@example.test"),
    ("Claire Petit", "claire@example.test"),
    ("Hélène Mercier", "helene@example.org"),
    ("François Lefèvre", "francois@example.org"),
    ("Zoé Dupré", "zoe@example.test"),
    ("Jérôme Garnier", "jerome@example.net"),
    ("Maëlle Caron", "maelle@example.net"),
    ("Noël Bérenger", "noel@example.org"),
]
FAMILY = [
    ("Maman", "maman@example.org"),
    ("Papa", "papa@example.org"),
    ("Léa Martin", "lea.martin@example.org"),
    ("Tante Odile", "odile@example.net"),
]
FOREIGN = {
    "de": [("Jürgen Müller", "juergen@example.de.test"), ("Grüße Team", "team@example.de.test")],
    "ja": [("山田太郎", "yamada@example.jp.test"), ("佐藤花子", "sato@example.jp.test")],
    "ru": [("Иван Петров", "ivan@example.ru.test"), ("Ольга Смирнова", "olga@example.ru.test")],
    "es": [("Íñigo Núñez", "inigo@example.es.test")],
}
NEWSLETTERS = [
    ("La Gazette du Vélo", "news@gazette-velo.example.net"),
    ("Librairie Des Lettres", "infos@deslettres.example.net"),
    ("Marché Bio du Quartier", "bonjour@marche-bio.example.net"),
    ("Rust Weekly FR", "hebdo@rust-fr.example.net"),
]
SPAMMERS = [
    ("Gagnant Loterie", "winner@lottery.example.invalid"),
    ("Pharmacie Pas Chère", "promo@pills.example.invalid"),
    ("Banque Sécurité", "securite@banque-alerte.example.invalid"),
]

TOPICS = [
    "la réunion de lundi", "le budget du trimestre", "les congés d'été", "le déménagement",
    "la maquette de l'accueil", "le dîner de vendredi", "le rapport annuel", "la facture d'électricité",
    "le séminaire à Lyon", "la rentrée scolaire", "le covoiturage", "la fête des voisins",
    "l'inventaire du stock", "le contrat de maintenance", "les photos du mariage", "le club de lecture",
]
SENTENCES = [
    "Je reviens vers toi au sujet de {topic}.",
    "Peux-tu me confirmer les horaires pour {topic} ?",
    "Voici quelques nouvelles concernant {topic}.",
    "On en reparle demain matin, si ça te va.",
    "J'ai mis à jour le document partagé, n'hésite pas à le relire.",
    "Il faudrait prévoir un créneau d'une heure, pas plus.",
    "Merci encore pour ton aide la semaine dernière !",
    "Le café est offert, comme d'habitude.",
    "Je serai en télétravail jeudi et vendredi.",
    "Attention : la salle du 3e étage n'est plus disponible.",
    "Est-ce que quelqu'un a des nouvelles de l'imprimeur ?",
    "Tout est prêt de mon côté, il ne manque que ta signature.",
    "Petite précision : les frais de déplacement sont remboursés.",
    "Ça me paraît très bien, on valide comme ça.",
    "Je t'envoie le lien dès que la page est en ligne : https://example.org/page",
]
SIGNOFFS = ["Bonne journée,", "À bientôt,", "Amitiés,", "Cordialement,", "Bises,", "Merci !"]

INTERNATIONAL = [
    ("de", "Grüße aus München – Termin nächste Woche",
     "Hallo Alice,\n\nkönnen wir den Termin auf Dienstag verschieben? Die Straßenbahn fährt "
     "übermorgen nicht.\n\nViele Grüße\nJürgen"),
    ("de", "Änderung der Öffnungszeiten",
     "Sehr geehrte Damen und Herren,\n\nab Montag öffnen wir um 8:30 Uhr. Schöne Grüße!"),
    ("ja", "会議の議事録について",
     "アリス様\n\n先日の会議の議事録をお送りします。ご確認ください。\n\nよろしくお願いいたします。\n山田"),
    ("ja", "来週の予定（東京出張）",
     "お疲れ様です。\n来週の火曜日から東京に出張します。新幹線の切符は手配済みです。\n佐藤"),
    ("ru", "Привет из Москвы!",
     "Здравствуй, Алиса!\n\nКак дела? Погода у нас отличная, ждём тебя в гости летом.\n\nОльга"),
    ("ru", "Отчёт за квартал",
     "Добрый день!\n\nПрилагаю краткий отчёт. Все показатели выросли на 12 %.\n\nИван"),
    ("es", "¿Quedamos el sábado? Año nuevo, mañana",
     "¡Hola Alice!\n\n¿Te apetece una caña el sábado por la mañana? Señal de que el año empieza bien.\n\nÍñigo"),
    ("fr", "🎉 Anniversaire surprise de Zoé 🎂",
     "Chut ! On organise une surprise pour Zoé samedi à 19 h. Apporte un dessert 🍰 et ta bonne humeur 😄."),
    ("fr", "✈️ Votre vol est confirmé — départ 07:45",
     "Bonjour,\n\nVotre réservation est confirmée. Embarquement porte 12, siège 14C. Bon voyage ! 🧳"),
    ("fr", "Œufs, crème brûlée & pâtisseries — la liste",
     "Pour dimanche : œufs, crème, sucre roux, beurre demi-sel. Et des pâtisseries « maison »."),
]

JAPANESE_FOLDER = [
    ("日本語の件名テスト", "こんにちは。\n日本語フォルダのテストメールです。\n絵文字も大丈夫：🗾🍣"),
    ("お花見のお知らせ", "今年のお花見は上野公園で行います。\n日時：四月五日（土）十一時\n持ち物：敷物"),
    ("Re: 請求書の件", "請求書を受け取りました。ありがとうございます。"),
]


# ---------------------------------------------------------------------------
# Building messages


class Corpus:
    def __init__(self, rng, anchor, domain="facteur-demo.example.test"):
        self.rng = rng
        self.anchor = anchor
        self.domain = domain
        self.counter = 0
        self.items = []  # (folder, flags, datetime, bytes)

    # -- helpers -------------------------------------------------------------

    def when(self, min_days=0.0, max_days=90.0):
        offset = self.rng.uniform(min_days, max_days)
        moment = self.anchor - dt.timedelta(days=offset)
        # Office hours mostly, in Paris time (UTC+1 in winter, +2 in summer
        # are both fine for a demo: use a fixed +01:00 zone).
        tz = dt.timezone(dt.timedelta(hours=1))
        hour = self.rng.choice([7, 8, 9, 9, 10, 11, 11, 12, 14, 15, 16, 17, 18, 20, 22])
        moment = moment.astimezone(tz).replace(hour=hour, minute=self.rng.randrange(60),
                                               second=self.rng.randrange(60), microsecond=0)
        return moment

    def msgid(self):
        self.counter += 1
        return "<demo-%04d.%s@%s>" % (self.counter, "%08x" % self.rng.getrandbits(32), self.domain)

    def paragraph(self, topic, n=None):
        n = n or self.rng.randint(2, 5)
        return " ".join(self.rng.choice(SENTENCES).format(topic=topic) for _ in range(n))

    def base(self, sender, to, subject, when, cc=None, msgid=None):
        msg = EmailMessage(policy=POLICY)
        msg["From"] = email.utils.formataddr(sender)
        msg["To"] = email.utils.formataddr(to) if isinstance(to, tuple) else to
        if cc:
            msg["Cc"] = ", ".join(email.utils.formataddr(c) for c in cc)
        msg["Date"] = email.utils.format_datetime(when)
        msg["Subject"] = subject
        msg["Message-ID"] = msgid or self.msgid()
        return msg

    def add(self, folder, msg, when, flags=()):
        if isinstance(msg, EmailMessage):
            n = 0
            for part in msg.walk():
                if part.is_multipart():
                    n += 1
                    part.set_boundary("=_facteur_%04d_%d" % (self.counter, n))
            data = msg.as_bytes(policy=POLICY)
        else:
            data = msg
        self.items.append((folder, tuple(flags), when, data))

    def read_flags(self, p_seen=0.7, p_flag=0.08, p_label=0.12):
        flags = []
        if self.rng.random() < p_seen:
            flags.append("\\Seen")
        if self.rng.random() < p_flag:
            flags.append("\\Flagged")
        if self.rng.random() < p_label:
            flags.append(self.rng.choice(LABELS))
        return flags

    # -- kinds of messages ---------------------------------------------------

    def plain(self, folder="INBOX", people=FRENCH, topic=None, when=None):
        sender = self.rng.choice(people)
        topic = topic or self.rng.choice(TOPICS)
        when = when or self.when()
        subject = self.rng.choice(["Question : ", "Infos : ", "", "Rappel : ", "Point sur "]) + topic
        msg = self.base(sender, ALICE, subject[0].upper() + subject[1:], when,
                        cc=[self.rng.choice(FRENCH)] if self.rng.random() < 0.2 else None)
        body = "Bonjour Alice,\n\n%s\n\n%s\n%s\n" % (
            self.paragraph(topic), self.rng.choice(SIGNOFFS), sender[0].split()[0])
        msg.set_content(body)
        self.add(folder, msg, when, self.read_flags())

    def newsletter(self, folder="INBOX"):
        sender = self.rng.choice(NEWSLETTERS)
        when = self.when()
        number = self.rng.randint(10, 250)
        title = "%s — n°%d" % (sender[0], number)
        msg = self.base(sender, ALICE, title, when)
        msg["List-Unsubscribe"] = "<https://%s/desabonnement?id=%d>" % (sender[1].split("@")[1], number)
        msg["List-Id"] = "%s <%s>" % (sender[0], sender[1].replace("@", "."))
        items = self.rng.sample(TOPICS, 3)
        text = "%s\n\n" % title + "\n".join("* %s : %s" % (t.capitalize(), self.paragraph(t, 2)) for t in items)
        text += "\n\nSe désabonner : https://%s/desabonnement\n" % sender[1].split("@")[1]
        colour = self.rng.choice(["#2a6f97", "#6a994e", "#bc4749", "#7b2cbf"])
        rows = "".join(
            '<tr><td style="padding:12px;border-bottom:1px solid #ddd">'
            '<h2 style="margin:0 0 6px;font-size:18px;color:%s">%s</h2><p style="margin:0">%s</p>'
            '<p><a href="https://example.net/articles/%d">Lire la suite →</a></p></td></tr>'
            % (colour, t.capitalize(), self.paragraph(t, 2), self.rng.randrange(1000))
            for t in items
        )
        html = (
            '<!DOCTYPE html><html><head><meta charset="utf-8"><style>'
            "body{font-family:Georgia,serif;background:#f4f1ea} .wrap{max-width:600px;margin:auto;background:#fff}"
            "</style></head><body><table class=\"wrap\" width=\"600\" cellpadding=\"0\" cellspacing=\"0\">"
            '<tr><td style="background:%s;color:#fff;padding:18px"><h1 style="margin:0">%s</h1>'
            '<img src="https://%s/track/open.gif?n=%d" width="1" height="1" alt=""></td></tr>%s'
            '<tr><td style="padding:12px;font-size:12px;color:#666">Vous recevez cette lettre car vous êtes '
            'inscrite. <a href="https://%s/desabonnement">Se désabonner</a></td></tr></table></body></html>'
            % (colour, title, sender[1].split("@")[1], number, rows, sender[1].split("@")[1])
        )
        msg.set_content(text)
        msg.add_alternative(html, subtype="html")
        self.add(folder, msg, when, self.read_flags(p_seen=0.5, p_flag=0.02))

    def with_attachments(self, folder="INBOX", people=FRENCH):
        sender = self.rng.choice(people)
        when = self.when()
        kind = self.rng.choice(["pdf", "png", "csv", "mix"])
        subjects = {
            "pdf": "Facture n°%d" % self.rng.randint(1000, 9999),
            "png": "Photos du week-end",
            "csv": "Export des dépenses",
            "mix": "Dossier complet (rapport + annexes)",
        }
        msg = self.base(sender, ALICE, subjects[kind], when)
        msg.set_content("Bonjour,\n\nVous trouverez les pièces jointes ci-dessous.\n\n%s\n%s\n"
                        % (self.rng.choice(SIGNOFFS), sender[0]))
        if kind in ("pdf", "mix"):
            label = "Facture %d" % self.rng.randint(1000, 9999)
            msg.add_attachment(FX.tiny_pdf(label), maintype="application", subtype="pdf",
                               filename="%s.pdf" % label.lower().replace(" ", "-"))
        if kind in ("png", "mix"):
            for i in range(self.rng.randint(1, 3)):
                colour = tuple(self.rng.randrange(256) for _ in range(3))
                msg.add_attachment(FX.tiny_png(32, 24, rgb=colour), maintype="image", subtype="png",
                                   filename="photo-%02d.png" % (i + 1))
        if kind in ("csv", "mix"):
            lines = ["date;libellé;montant"]
            for _ in range(self.rng.randint(3, 12)):
                day = when - dt.timedelta(days=self.rng.randrange(30))
                lines.append("%s;%s;%d,%02d" % (day.date().isoformat(), self.rng.choice(
                    ["Café", "Péage", "Hôtel", "Repas d'équipe", "Fournitures"]),
                    self.rng.randrange(200), self.rng.randrange(100)))
            msg.add_attachment(("\r\n".join(lines) + "\r\n").encode("utf-8"), maintype="text", subtype="csv",
                               filename="dépenses-%s.csv" % when.strftime("%Y-%m"))
        self.add(folder, msg, when, self.read_flags())

    def inline_image(self, folder="INBOX", people=FRENCH):
        sender = self.rng.choice(people)
        when = self.when()
        msg = self.base(sender, ALICE, self.rng.choice(["Regarde ce logo !", "Carte de vœux", "Plan d'accès"]), when)
        cid = "img%04d@%s" % (self.counter, self.domain)
        msg.set_content("Ton client ne sait pas afficher le HTML : l'image est jointe.")
        msg.add_alternative(
            '<html><body><p>Voici l\'image promise :</p><p><img src="cid:%s" alt="image intégrée" '
            'width="64" height="64"></p><p>%s</p></body></html>' % (cid, sender[0]),
            subtype="html",
        )
        html_part = msg.get_payload()[1]
        colour = tuple(self.rng.randrange(256) for _ in range(3))
        html_part.add_related(FX.tiny_png(64, 64, rgb=colour), maintype="image", subtype="png",
                              cid="<%s>" % cid, filename="image.png")
        self.add(folder, msg, when, self.read_flags())

    def international(self, folder="INBOX"):
        lang, subject, body = self.rng.choice(INTERNATIONAL)
        sender = self.rng.choice(FOREIGN.get(lang, FRENCH))
        when = self.when()
        msg = self.base(sender, ALICE, subject, when)
        msg.set_content(body + "\n")
        self.add(folder, msg, when, self.read_flags())

    def thread(self, folder="INBOX", people=FRENCH, length=None, topic=None, replies_folder="Sent"):
        """A discussion: others write to Alice; Alice's own replies go to Sent."""
        length = length or self.rng.randint(3, 6)
        topic = topic or self.rng.choice(TOPICS)
        subject = topic[0].upper() + topic[1:]
        others = self.rng.sample(people, 2)
        start = self.when(min_days=3, max_days=88)
        refs = []
        previous_item = None
        alice_wrote_last = True
        when = start
        previous_sender = None
        for i in range(length):
            # Alice answers some of the messages; the others also answer each
            # other, with Alice in copy.
            alice_writes = i > 0 and not alice_wrote_last and self.rng.random() < 0.45
            alice_wrote_last = alice_writes
            if alice_writes:
                sender, to, cc = ALICE, previous_sender, None
            elif i == 0:
                sender, to, cc = others[0], ALICE, [others[1]]
            else:
                sender = others[1] if previous_sender == others[0] else others[0]
                to, cc = (ALICE, None) if previous_sender == ALICE else (previous_sender, [ALICE])
            previous_sender = sender
            when = min(when + dt.timedelta(hours=self.rng.uniform(0.3, 20)),
                       self.anchor - dt.timedelta(minutes=10 * (length - i)))
            subj = subject if i == 0 else "Re: " + subject
            msg = self.base(sender, to, subj, when, cc=cc)
            if refs:
                msg["In-Reply-To"] = refs[-1]
                msg["References"] = " ".join(refs[-10:])
            quote_text = ""
            if i:
                quote_text = "\n\nLe %s, quelqu'un a écrit :\n> %s\n" % (
                    when.strftime("%d/%m/%Y"), self.paragraph(topic, 1))
            msg.set_content("%s%s\n\n%s\n%s\n" % (
                self.paragraph(topic), quote_text, self.rng.choice(SIGNOFFS), sender[0].split()[0]))
            refs.append(msg["Message-ID"])
            if alice_writes:
                self.add(replies_folder, msg, when, ["\\Seen"])
                # The message Alice answered gets \Answered.
                f, flags, w, data = self.items[previous_item]
                if "\\Answered" not in flags:
                    self.items[previous_item] = (f, flags + ("\\Answered",), w, data)
            else:
                last = i == length - 1
                flags = self.read_flags(p_seen=0.4 if last else 1.0)
                self.add(folder, msg, when, flags)
                previous_item = len(self.items) - 1

    def draft(self):
        when = self.when(0, 10)
        to = self.rng.choice(FRENCH)
        topic = self.rng.choice(TOPICS)
        msg = self.base(ALICE, to, "Brouillon : " + topic, when)
        msg.set_content("Salut %s,\n\nJe voulais te dire que %s… (à terminer)\n" % (to[0].split()[0], topic))
        self.add("Drafts", msg, when, ["\\Seen", "\\Draft"])

    def sent(self):
        when = self.when()
        to = self.rng.choice(FRENCH + FAMILY)
        topic = self.rng.choice(TOPICS)
        msg = self.base(ALICE, to, topic[0].upper() + topic[1:], when)
        msg.set_content("Bonjour %s,\n\n%s\n\nAlice\n" % (to[0].split()[0], self.paragraph(topic)))
        self.add("Sent", msg, when, ["\\Seen"])

    def spam(self):
        sender = self.rng.choice(SPAMMERS)
        when = self.when(0, 30)
        msg = self.base(sender, ALICE, self.rng.choice([
            "Félicitations !!! Vous avez gagné 1 000 000 €",
            "Votre compte sera suspendu — action requise",
            "Promo -90 % sur tout le site 💊",
        ]), when)
        msg.set_content("Cliquez ici : http://phishing.example.invalid/login\n")
        msg.add_alternative(
            '<p style="font-size:28px;color:red">CLIQUEZ <a href="http://phishing.example.invalid/login">ICI</a></p>'
            '<img src="http://tracker.example.invalid/p.gif"><script>alert(1)</script>',
            subtype="html",
        )
        self.add("Junk", msg, when, [])

    def fixture(self, name, folder="INBOX"):
        data = (FIXTURES / name).read_bytes()
        when = self.when()
        head, sep, body = data.partition(b"\r\n\r\n")
        head = re.sub(rb"(?m)^Date: [^\r\n]*", b"Date: " + email.utils.format_datetime(when).encode(), head, count=1)
        head = re.sub(rb"(?m)^Message-ID: [^\r\n]*", b"Message-ID: " + self.msgid().encode(), head, count=1)
        self.add(folder, head + sep + body, when, self.read_flags(p_seen=0.5))


# Custom folders, in creation order (parents first).
CUSTOM_FOLDERS = ["Projets", "Projets/Facteur", "Famille", "Famille/Été 2026", "日本語"]
SPECIAL = ["Sent", "Drafts", "Junk", "Trash", "Archive"]


def build(count, seed, anchor):
    rng = random.Random(seed)
    c = Corpus(rng, anchor)

    def share(fraction, minimum=1):
        return max(minimum, round(count * fraction))

    # Folders other than INBOX (sizes scale with --count).
    for _ in range(share(0.02)):
        c.thread("Projets", length=rng.randint(2, 4))
    for _ in range(share(0.02)):
        c.plain("Projets")
    for _ in range(share(0.015)):
        c.thread("Projets/Facteur", topic=rng.choice(["la version 0.2 de Facteur", "le parseur MIME",
                                                      "les tests IMAP", "l'accessibilité du lecteur"]))
    for _ in range(share(0.01)):
        c.with_attachments("Projets/Facteur")
    for _ in range(share(0.01)):
        c.plain("Famille", people=FAMILY)
    for _ in range(share(0.02)):
        c.with_attachments("Famille/Été 2026", people=FAMILY)
    for _ in range(share(0.01)):
        c.inline_image("Famille/Été 2026", people=FAMILY)
    for _ in range(share(0.01)):
        c.thread("Famille/Été 2026", people=FAMILY, length=3, topic="les vacances en Bretagne")
    for subject, body in JAPANESE_FOLDER[: share(0.01, 2)]:
        when = c.when()
        msg = c.base(rng.choice(FOREIGN["ja"]), ALICE, subject, when)
        msg.set_content(body + "\n")
        c.add("日本語", msg, when, c.read_flags())
    c.fixture("iso-2022-jp.eml", "日本語")
    c.fixture("shift_jis.eml", "日本語")
    for _ in range(share(0.013)):
        c.draft()
    for _ in range(share(0.02)):
        c.sent()
    for _ in range(share(0.027)):
        c.spam()
    for _ in range(share(0.02)):
        c.plain("Trash")
    for _ in range(share(0.03)):
        c.plain("Archive")
    for _ in range(share(0.01)):
        c.thread("Archive", length=3)

    # The legacy-charset fixtures, in INBOX.
    for name in ("latin1.eml", "cp1252.eml", "koi8-r.eml", "broken-charset.eml"):
        c.fixture(name)

    # INBOX: fill up to COUNT with a mix.
    kinds = [
        (c.plain, 30), (c.newsletter, 14), (c.with_attachments, 10), (c.inline_image, 5),
        (c.international, 12), (c.thread, 12),
    ]
    total = sum(weight for _, weight in kinds)
    while len(c.items) < count:
        pick = rng.uniform(0, total)
        for fn, weight in kinds:
            pick -= weight
            if pick <= 0:
                fn()
                break
    del c.items[count:]
    return c.items


# ---------------------------------------------------------------------------
# IMAP


def connect(args):
    if args.ssl:
        context = ssl.create_default_context(cafile=args.cafile) if args.cafile else ssl.create_default_context()
        imap = imaplib.IMAP4_SSL(args.host, args.port, ssl_context=context, timeout=30)
    else:
        imap = imaplib.IMAP4(args.host, args.port, timeout=30)
    if args.password.isascii() and args.user.isascii():
        imap.login(args.user, args.password)
    else:
        creds = ("\0%s\0%s" % (args.user, args.password)).encode("utf-8")
        imap.authenticate("PLAIN", lambda _: creds)
    return imap


def check(result, what):
    typ, data = result
    if typ != "OK":
        raise SystemExit("demo-corpus: %s failed: %s %r" % (what, typ, data))
    return data


def list_names(imap):
    names = []
    for line in check(imap.list('""', '"*"'), "LIST"):
        if not line:
            continue
        match = re.match(rb'\((.*?)\) (?:"(.)"|NIL) (.*)$', line)
        raw = match.group(3).decode("ascii")
        if raw.startswith('"'):
            raw = raw[1:-1].replace('\\"', '"').replace("\\\\", "\\")
        names.append(mutf7_decode(raw))
    return names


def reset(imap):
    existing = list_names(imap)
    for folder in ["INBOX"] + SPECIAL + CUSTOM_FOLDERS:
        if folder not in existing:
            continue
        check(imap.select(quote(folder)), "SELECT " + folder)
        imap.store("1:*", "+FLAGS.SILENT", "(\\Deleted)")
        imap.expunge()
        imap.close()
    for folder in reversed(CUSTOM_FOLDERS):
        if folder in existing:
            imap.unsubscribe(quote(folder))
            check(imap.delete(quote(folder)), "DELETE " + folder)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--user", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--count", type=int, default=300, help="number of messages (default 300)")
    parser.add_argument("--seed", type=int, default=2026, help="random seed (default 2026)")
    parser.add_argument("--anchor", help="newest date, YYYY-MM-DD (default: today, UTC); "
                        "with --seed, makes the corpus byte-identical between runs")
    parser.add_argument("--ssl", action="store_true", help="implicit TLS (IMAPS)")
    parser.add_argument("--cafile", help="CA certificate for --ssl")
    parser.add_argument("--reset", action="store_true",
                        help="first empty INBOX and the special folders and delete the demo folders")
    parser.add_argument("--dry-run", action="store_true", help="build the messages, print a summary, send nothing")
    args = parser.parse_args(argv)
    if args.count < 40:
        parser.error("--count must be at least 40 (every folder gets some messages)")

    if args.anchor:
        day = dt.date.fromisoformat(args.anchor)
    else:
        day = dt.datetime.now(dt.timezone.utc).date()
    anchor = dt.datetime(day.year, day.month, day.day, 18, 0, tzinfo=dt.timezone.utc)

    started = time.monotonic()
    items = build(args.count, args.seed, anchor)
    per_folder = {}
    for folder, _, _, _ in items:
        per_folder[folder] = per_folder.get(folder, 0) + 1

    if args.dry_run:
        for folder, n in sorted(per_folder.items()):
            print("%-20s %4d" % (folder, n))
        return 0

    imap = connect(args)
    try:
        if args.reset:
            reset(imap)
        existing = set(list_names(imap))
        for folder in SPECIAL + CUSTOM_FOLDERS:
            if folder not in existing:
                check(imap.create(quote(folder)), "CREATE " + folder)
            imap.subscribe(quote(folder))
        for folder, flags, when, data in items:
            check(
                imap.append(quote(folder), "(%s)" % " ".join(flags) if flags else None,
                            imaplib.Time2Internaldate(when), data),
                "APPEND to " + folder,
            )
    finally:
        try:
            imap.logout()
        except Exception:
            pass

    elapsed = time.monotonic() - started
    for folder, n in sorted(per_folder.items()):
        print("%-20s %4d" % (folder, n))
    print("appended %d messages to %s on %s:%d in %.1f s" % (len(items), args.user, args.host, args.port, elapsed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
