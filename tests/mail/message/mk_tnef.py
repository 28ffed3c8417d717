#!/usr/bin/env python3
# Writes winmail.eml: a mail whose only part is a small winmail.dat
# (TNEF, MS-OXTNEF) holding a body text and three files.  Run it again
# only if the fixture must change; test_message.c reads the output.
import base64, struct, sys

def attr(level, ident, data):
    return (bytes([level]) + struct.pack('<I', ident) +
            struct.pack('<I', len(data)) + data +
            struct.pack('<H', sum(data) & 0xffff))

def attachment(title, data):
    rend = struct.pack('<HIHHI', 1, 0xffffffff, 0, 0, 0)
    return (attr(2, 0x00069002, rend) +          # attAttachRenddata
            attr(2, 0x00018010, title + b'\0') +  # attAttachTitle
            attr(2, 0x0006800F, data))            # attAttachData

tnef = struct.pack('<IH', 0x223E9F78, 0x0001)
tnef += attr(1, 0x00089006, struct.pack('<I', 0x00010000))   # attTnefVersion
tnef += attr(1, 0x00069007, struct.pack('<II', 1252, 0))     # attOemCodepage
tnef += attr(1, 0x00078008, b'IPM.Microsoft Mail.Note\0')   # attMessageClass
tnef += attr(1, 0x00018004, b'Quarterly report\0')          # attSubject
tnef += attr(1, 0x0002800C, b'Please see the attached report.\r\nCaf\xe9 at 10.\r\n')  # attBody
tnef += attachment(b'report.txt', b'quarterly numbers\n')
tnef += attachment(b'chart.png', b'\x89PNG\r\n\x1a\n' + bytes(range(32)))
tnef += attachment(b'tool.exe', b'MZ' + bytes(40))

b64 = base64.encodebytes(tnef).decode()
eml = ("From: Outlook User <outlook@example.com>\n"
       "To: support@example.com\n"
       "Subject: Quarterly report\n"
       "Message-ID: <tnef-1@example.com>\n"
       "MIME-Version: 1.0\n"
       "Content-Type: multipart/mixed; boundary=\"b1\"\n\n"
       "--b1\n"
       "Content-Type: application/ms-tnef; name=\"winmail.dat\"\n"
       "Content-Transfer-Encoding: base64\n"
       "Content-Disposition: attachment; filename=\"winmail.dat\"\n\n"
       + b64 + "--b1--\n")
sys.stdout.write(eml)
