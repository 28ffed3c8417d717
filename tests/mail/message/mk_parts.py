#!/usr/bin/env python3
# Writes the fixtures of parts that keep their nature (issue 8 item 4):
# inline-named.eml (Apple Mail's inline text files), uuencode.eml (Lotus
# Notes' uuencoded files in text/plain, old and new style), bare-cr.eml
# (an old Macintosh client's CR line ends around a base64 file),
# mixed-eol.eml (CRLF, LF, CR CR LF and CR in one header block),
# crlf-binary.eml (a binary part's CRs left alone) and forward.eml
# (Outlook's "forward as attachment").  The files inside are made here,
# so their SHA-256 in the .expected files is that of the bytes sent.
# Run it again only if a fixture must change; test_message.c and
# tests/scenario/t_parts.sh read the output.
import base64, binascii, hashlib, os, quopri, sys

here = os.path.dirname(os.path.abspath(__file__))

# The files: every byte value, CR and LF and CR CR LF inside, runs of
# zeros (old uuencode writes those as spaces that transports strip).
PDF = (b'%PDF-1.4\n%\xe2\xe3\xcf\xd3\n' + bytes(range(256)) * 4 +
       b'\r\n\r\r\n\n\r' + b'%%EOF\n')
PNG = (b'\x89PNG\r\n\x1a\n' + bytes(200) + bytes(range(99, -1, -1)) +
       b'\x00' * 44 + b'IEND')
BIN = bytes(range(256)) + b'\r\n\r\r\n\n\r' + bytes(range(255, -1, -1))
JPG = b'\xff\xd8\xff\xe0\x00\x10JFIF\x00' + bytes(range(256)) * 2 + b'\xff\xd9'
LOG = (b'2026-12-01 02:00:01 backup started\n'
       b'2026-12-01 02:14:57 error: /dev/sdb1: I/O error, sector 8812\n'
       b'2026-12-01 02:14:58 backup aborted\n')
NOTES = 'Zählerstand: 4711\n'.encode()


def uu(data, backtick, strip):
    lines = []
    for i in range(0, len(data), 45):
        line = binascii.b2a_uu(data[i:i + 45], backtick=backtick)
        line = line.decode().rstrip('\n')
        lines.append(line.rstrip(' ') if strip else line)
    lines.append('`' if backtick else '')   # the empty line, stripped
    return '\n'.join(lines) + '\nend\n'


def b64(data):
    return base64.encodebytes(data).decode()


def write(name, text, eol='\n'):
    raw = text.replace('\n', eol).encode() if isinstance(text, str) else text
    with open(os.path.join(here, name), 'wb') as f:
        f.write(raw)


write('inline-named.eml', """\
From: Ann Example <ann@example.org>
To: support@example.com
Subject: Backup failed again
Message-ID: <A1B2C3D4-inline@example.org>
Date: Tue, 1 Dec 2026 08:30:00 +0100
X-Mailer: Apple Mail (2.3654.120.0.1.13)
Mime-Version: 1.0 (Mac OS X Mail 16.0)
Content-Type: multipart/mixed;
\tboundary="Apple-Mail=_5F1B2E4A-0C1D-4E2F-9A3B-1C2D3E4F5A6B"

--Apple-Mail=_5F1B2E4A-0C1D-4E2F-9A3B-1C2D3E4F5A6B
Content-Transfer-Encoding: 7bit
Content-Type: text/plain;
\tcharset=us-ascii

Hello, the log of last night's failure:

--Apple-Mail=_5F1B2E4A-0C1D-4E2F-9A3B-1C2D3E4F5A6B
Content-Disposition: inline;
\tfilename=server.log
Content-Type: text/plain;
\tx-unix-mode=0644;
\tname="server.log"
Content-Transfer-Encoding: quoted-printable

""" + quopri.encodestring(LOG).decode() + """
--Apple-Mail=_5F1B2E4A-0C1D-4E2F-9A3B-1C2D3E4F5A6B
Content-Transfer-Encoding: 7bit
Content-Type: text/plain;
\tcharset=us-ascii

Thanks, Ann
--Apple-Mail=_5F1B2E4A-0C1D-4E2F-9A3B-1C2D3E4F5A6B
Content-Type: text/plain; charset=utf-8; name="notes.txt"
Content-Disposition: inline
Content-Transfer-Encoding: base64

""" + b64(NOTES) + """
--Apple-Mail=_5F1B2E4A-0C1D-4E2F-9A3B-1C2D3E4F5A6B--
""")

write('uuencode.eml', """\
From: Hans Meier <hans.meier@notes.example.de>
To: support@example.com
Subject: Report and photo
Message-ID: <OF1A2B3C4D.5E6F7A8B-ONC1257F00.00123456-C1257F00.00123457@notes.example.de>
Date: Tue, 1 Dec 2026 10:05:00 +0100
X-Mailer: Lotus Notes Release 8.5.3 September 15, 2011
MIME-Version: 1.0
Content-Type: text/plain; charset=US-ASCII
Content-Transfer-Encoding: 7bit

Hello,

the report and a photo of the display are attached.

Regards
Hans Meier
(See attached file: report.pdf)(See attached file: display photo.png)

begin 644 report.pdf
""" + uu(PDF, True, False) + """
begin 600 display photo.png
""" + uu(PNG, False, True) + """
begin 644 notes.txt
this is not uuencode: it has small letters
end

P.S. The serial number is on the back.
""")

write('bare-cr.eml', """\
From: "Claude Martin" <claude@mac.example.fr>
To: support@example.com
Subject: =?iso-8859-1?Q?Donn=E9es?= du capteur
Message-ID: <v04210100b3c4d5e6f7a8@[192.168.1.20]>
Date: Tue, 1 Dec 2026 11:00:00 +0100
X-Mailer: Eudora Pro 4.2 (Macintosh)
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="============_-1234567890==_============"

--============_-1234567890==_============
Content-Type: text/plain; charset="iso-8859-1"
Content-Transfer-Encoding: quoted-printable

Bonjour,

Tr=E8s bien, voici les donn=E9es.

Claude
--============_-1234567890==_============
Content-Type: application/pdf; name="mesures.pdf"
Content-Disposition: attachment; filename="mesures.pdf"
Content-Transfer-Encoding: base64

""" + b64(BIN) + """--============_-1234567890==_============--
""", eol='\r')

mixed = ("From: Ops Robot <ops@example.net>\r\n"
         "To: support@example.com\n"
         "Subject: Nightly export\r\r\n"
         "Message-ID: <export-20261201@example.net>\r"
         "Date: Tue, 1 Dec 2026 03:00:00 +0000\r\n"
         "MIME-Version: 1.0\n"
         "Content-Type: multipart/mixed; boundary=\"b1\"\r\n"
         "\r\n"
         "--b1\r\n"
         "Content-Type: text/plain; charset=utf-8\n"
         "\n"
         "Export attached.\r\n"
         "Rows: 1204\n"
         "--b1\r\n"
         "Content-Type: image/jpeg; name=\"chart.jpg\"\r\n"
         "Content-Transfer-Encoding: base64\r\n"
         "\r\n" + b64(JPG).replace('\n', '\r\n') +
         "--b1--\r\n")
write('mixed-eol.eml', mixed.encode())

crlf = (b"From: Build Server <ci@example.net>\r\n"
        b"To: support@example.com\r\n"
        b"Subject: Build 42\rfailed\r\n"
        b"Message-ID: <build-42@example.net>\r\n"
        b"MIME-Version: 1.0\r\n"
        b"Content-Type: multipart/mixed; boundary=\"cut\"\r\n"
        b"\r\n"
        b"--cut\r\n"
        b"Content-Type: text/plain\r\n"
        b"\r\n"
        b"See the screenshot.\r\n"
        b"--cut\r\n"
        b"Content-Type: image/png; name=\"screen.png\"\r\n"
        b"Content-Transfer-Encoding: binary\r\n"
        b"\r\n" + BIN + b"\r\n"
        b"--cut--\r\n")
write('crlf-binary.eml', crlf)

write('forward.eml', """\
From: Maria Agent <maria@partner.example>
To: support@example.com
Subject: FW: Printer broken
Message-ID: <DB7PR01MB1234ABCD@DB7PR01MB1234.eurprd01.prod.outlook.com>
Date: Tue, 1 Dec 2026 12:00:00 +0000
X-Mailer: Microsoft Outlook 16.0
MIME-Version: 1.0
Content-Type: multipart/mixed;
\tboundary="_004_DB7PR01MB1234_"

--_004_DB7PR01MB1234_
Content-Type: text/plain; charset="utf-8"
Content-Transfer-Encoding: 7bit

Hi, a customer of ours wrote this; can you help?

Maria
--_004_DB7PR01MB1234_
Content-Type: message/rfc822
Content-Disposition: attachment;
\tfilename="Printer broken.eml"

From: =?utf-8?q?J=C3=B6rg_Kunde?= <Joerg@Customer.example>
To: Maria Agent <maria@partner.example>
Subject: Printer broken
Date: Mon, 30 Nov 2026 09:15:00 +0100
Message-ID: <orig-1@customer.example>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="inner"

--inner
Content-Type: text/plain; charset="iso-8859-1"
Content-Transfer-Encoding: quoted-printable

The printer shows error E42 since Monday. Photo and invoice attached.
Gr=FC=DFe, J=F6rg
--inner
Content-Type: image/jpeg; name="error.jpg"
Content-Disposition: attachment; filename="error.jpg"
Content-Transfer-Encoding: base64

""" + b64(JPG) + """--inner
Content-Type: application/pdf; name="invoice.pdf"
Content-Disposition: attachment; filename="invoice.pdf"
Content-Transfer-Encoding: base64

""" + b64(PDF) + """--inner--

--_004_DB7PR01MB1234_--
""")

for name, data in (('report.pdf', PDF), ('display photo.png', PNG),
                   ('mesures.pdf and screen.png', BIN), ('chart.jpg', JPG),
                   ('server.log', LOG), ('notes.txt', NOTES)):
    print(name, len(data), hashlib.sha256(data).hexdigest())
