#!/usr/bin/python3
"""Writes the client x language fixtures of tests/mail/quote/: for each
language and mail client a reply as that client writes it (NAME.txt, or
NAME.html for the HTML form) and the new text a reader sees in it
(NAME.visible).  The strings are the clients' own attribution lines and
header labels; the expected text is the reply as written here, never
anything quote.c produced.  Run it from anywhere; it rewrites the files."""
import html
import os

HERE = os.path.dirname(os.path.abspath(__file__))
ADDR = "Bob Smith <bob@example.org>"
ORIG = ["Hello,", "my printer does not print any more.", "Can you help?", "", "Bob"]

# code: reply, mobile sig, outlook app sig, gmail, apple, thunderbird,
# yahoo, zoho, mail.ru attribution; Outlook labels (from, sent, to,
# subject); the Outlook "original message" separator
L = {
 "en": dict(signoff="Best regards,", reply="Thanks, that fixed it.\nThe printer works again.", sig="Sent from my iPhone", osig="Get Outlook for iOS",
  gmail="On Mon, Jan 5, 2026 at 10:00 AM %s wrote:" % ADDR,
  apple="On 5 Jan 2026, at 10:00, %s wrote:" % ADDR,
  tb="On 05/01/2026 10:00, Bob Smith wrote:",
  yahoo="On Monday, January 5, 2026, 10:00:00 AM GMT+1, %s wrote:" % ADDR,
  zoho="---- On Mon, 05 Jan 2026 10:00:00 +0100 %s wrote ----" % ADDR,
  mailru="Monday, 5 January 2026, 10:00 +03:00 from %s:" % ADDR,
  labels=("From", "Sent", "To", "Subject"), marker="-----Original Message-----"),
 "de": dict(signoff="Mit freundlichen Grüßen", reply="Danke, das hat geholfen.\nDer Drucker geht wieder.", sig="Von meinem iPhone gesendet", osig="Outlook für iOS beziehen",
  gmail="Am Mo., 5. Jan. 2026 um 10:00 Uhr schrieb %s:" % ADDR,
  apple="Am 05.01.2026 um 10:00 schrieb %s:" % ADDR,
  tb="Am 05.01.26 um 10:00 schrieb Bob Smith:",
  yahoo="Am Montag, 5. Januar 2026, 10:00:00 MEZ hat %s Folgendes geschrieben:" % ADDR,
  zoho="---- Am Mo, 05 Jan 2026 10:00:00 +0100 schrieb %s ----" % ADDR,
  mailru="Montag, 5. Januar 2026, 10:00 +03:00 von %s:" % ADDR,
  labels=("Von", "Gesendet", "An", "Betreff"), marker="-----Ursprüngliche Nachricht-----"),
 "fr": dict(signoff="Cordialement,", reply="Merci, cela a résolu le problème.\nL'imprimante fonctionne.", sig="Envoyé de mon iPhone", osig="Obtenir Outlook pour iOS",
  gmail="Le lun. 5 janv. 2026 à 10:00, %s a écrit :" % ADDR,
  apple="Le 5 janv. 2026 à 10:00, %s a écrit :" % ADDR,
  tb="Le 05/01/2026 à 10:00, Bob Smith a écrit :",
  yahoo="Le lundi 5 janvier 2026, 10:00:00 UTC+1, %s a écrit :" % ADDR,
  zoho="---- Le lun., 05 janv. 2026 10:00:00 +0100 %s a écrit ----" % ADDR,
  mailru="Lundi, 5 janvier 2026, 10:00 +03:00 de %s:" % ADDR,
  labels=("De ", "Envoyé ", "À ", "Objet "), marker="-----Message d'origine-----"),
 "es": dict(signoff="Un saludo,", reply="Gracias, ya funciona.\nLa impresora imprime otra vez.", sig="Enviado desde mi iPhone", osig="Obtener Outlook para iOS",
  gmail="El lun, 5 ene 2026 a las 10:00, Bob Smith (<bob@example.org>) escribió:",
  apple="El 5 ene 2026, a las 10:00, %s escribió:" % ADDR,
  tb="El 05/01/2026 a las 10:00, Bob Smith escribió:",
  yahoo="El lunes, 5 de enero de 2026, 10:00:00 CET, %s escribió:" % ADDR,
  zoho="---- El lun, 05 ene 2026 10:00:00 +0100 %s escribió ----" % ADDR,
  mailru="Lunes, 5 de enero de 2026, 10:00 +03:00 de %s:" % ADDR,
  labels=("De", "Enviado", "Para", "Asunto"), marker="-----Mensaje original-----"),
 "it": dict(signoff="Cordiali saluti,", reply="Grazie, ora funziona.\nLa stampante stampa di nuovo.", sig="Inviato da iPhone", osig="Scarica Outlook per iOS",
  gmail="Il giorno lun 5 gen 2026 alle ore 10:00 %s ha scritto:" % ADDR,
  apple="Il giorno 5 gen 2026, alle ore 10:00, %s ha scritto:" % ADDR,
  tb="Il 05/01/2026 10:00, Bob Smith ha scritto:",
  yahoo="Il lunedì 5 gennaio 2026, 10:00:00 CET, %s ha scritto:" % ADDR,
  zoho="---- Il lun, 05 gen 2026 10:00:00 +0100 %s ha scritto ----" % ADDR,
  mailru="Lunedì, 5 gennaio 2026, 10:00 +03:00 da %s:" % ADDR,
  labels=("Da", "Inviato", "A", "Oggetto"), marker="-----Messaggio originale-----"),
 "pt": dict(signoff="Atenciosamente,", reply="Obrigado, resolveu o problema.\nA impressora voltou a imprimir.", sig="Enviado do meu iPhone", osig="Obter o Outlook para iOS",
  gmail="Em seg., 5 de jan. de 2026 às 10:00, %s escreveu:" % ADDR,
  apple="Em 5 de jan. de 2026, à(s) 10:00, %s escreveu:" % ADDR,
  tb="Em 05/01/2026 10:00, Bob Smith escreveu:",
  yahoo="Em segunda-feira, 5 de janeiro de 2026 10:00:00 BRT, %s escreveu:" % ADDR,
  zoho="---- Em seg, 05 jan 2026 10:00:00 +0100 %s escreveu ----" % ADDR,
  mailru="Segunda-feira, 5 de janeiro de 2026, 10:00 +03:00 de %s:" % ADDR,
  labels=("De", "Enviado", "Para", "Assunto"), marker="-----Mensagem original-----"),
 "nl": dict(signoff="Met vriendelijke groet,", reply="Bedankt, het werkt weer.\nDe printer print weer.", sig="Verzonden vanaf mijn iPhone", osig="Outlook voor iOS downloaden",
  gmail="Op ma 5 jan. 2026 om 10:00 schreef %s:" % ADDR,
  apple="Op 5 jan. 2026 om 10:00 heeft %s het volgende geschreven:" % ADDR,
  tb="Op 05-01-2026 om 10:00 schreef Bob Smith:",
  yahoo="Op maandag 5 januari 2026 10:00:00 CET schreef %s:" % ADDR,
  zoho="---- Op ma, 05 jan 2026 10:00:00 +0100 schreef %s ----" % ADDR,
  mailru="Maandag, 5 januari 2026, 10:00 +03:00 van %s:" % ADDR,
  labels=("Van", "Verzonden", "Aan", "Onderwerp"), marker="-----Oorspronkelijk bericht-----"),
 "da": dict(signoff="Med venlig hilsen", reply="Tak, det virker nu.\nPrinteren printer igen.", sig="Sendt fra min iPhone", osig="Hent Outlook til iOS",
  gmail="Den man. 5. jan. 2026 kl. 10.00 skrev %s:" % ADDR,
  apple="Den 5. jan. 2026 kl. 10.00 skrev %s:" % ADDR,
  tb="Den 05-01-2026 kl. 10:00 skrev Bob Smith:",
  yahoo="Den mandag den 5. januar 2026 10.00.00 CET skrev %s:" % ADDR,
  zoho="---- Den man, 05 jan 2026 10:00:00 +0100 skrev %s ----" % ADDR,
  mailru="Mandag, 5. januar 2026, 10:00 +03:00 fra %s:" % ADDR,
  labels=("Fra", "Sendt", "Til", "Emne"), marker="-------- Oprindelig besked --------"),
 "sv": dict(signoff="Vänliga hälsningar", reply="Tack, nu fungerar det.\nSkrivaren skriver ut igen.", sig="Skickat från min iPhone", osig="Hämta Outlook för iOS",
  gmail="Den mån 5 jan. 2026 kl 10:00 skrev %s:" % ADDR,
  apple="5 jan. 2026 kl. 10:00 skrev %s:" % ADDR,
  tb="Den 2026-01-05 kl. 10:00, skrev Bob Smith:",
  yahoo="Den måndag 5 januari 2026 10:00:00 CET skrev %s:" % ADDR,
  zoho="---- Den mån, 05 jan 2026 10:00:00 +0100 skrev %s ----" % ADDR,
  mailru="Måndag, 5 januari 2026, 10:00 +03:00 från %s:" % ADDR,
  labels=("Från", "Skickat", "Till", "Ämne"), marker="-----Ursprungligt meddelande-----"),
 "no": dict(signoff="Vennlig hilsen", reply="Takk, nå virker det.\nSkriveren skriver ut igjen.", sig="Sendt fra min iPhone", osig="Få Outlook for iOS",
  gmail="man. 5. jan. 2026 kl. 10:00 skrev %s:" % ADDR,
  apple="5. jan. 2026 kl. 10:00 skrev %s:" % ADDR,
  tb="Den 05.01.2026 10:00, skrev Bob Smith:",
  yahoo="mandag 5. januar 2026, 10:00:00 CET skrev %s:" % ADDR,
  zoho="---- man, 05 jan 2026 10:00:00 +0100 skrev %s ----" % ADDR,
  mailru="Mandag, 5. januar 2026, 10:00 +03:00 fra %s:" % ADDR,
  labels=("Fra", "Sendt", "Til", "Emne"), marker="-----Opprinnelig melding-----"),
 "fi": dict(signoff="Ystävällisin terveisin", reply="Kiitos, nyt se toimii.\nTulostin tulostaa taas.", sig="Lähetetty iPhonesta", osig="Hanki Outlook iOS:lle",
  gmail="ma 5. tammik. 2026 klo 10.00 Bob Smith (bob@example.org) kirjoitti:",
  apple="%s kirjoitti 5.1.2026 kello 10.00:" % ADDR,
  tb="Bob Smith kirjoitti 5.1.2026 klo 10.00:",
  yahoo="maanantai 5. tammikuuta 2026 klo 10.00.00 UTC+2 %s kirjoitti:" % ADDR,
  zoho="---- ma, 05 tammi 2026 10:00:00 +0200 %s kirjoitti ----" % ADDR,
  mailru="Maanantai, 5. tammikuuta 2026, 10:00 +03:00 lähettäjä %s:" % ADDR,
  labels=("Lähettäjä", "Lähetetty", "Vastaanottaja", "Aihe"), marker="-----Alkuperäinen viesti-----"),
 "pl": dict(signoff="Pozdrawiam,", reply="Dziękuję, teraz działa.\nDrukarka znowu drukuje.", sig="Wysłane z iPhone'a", osig="Pobierz aplikację Outlook dla systemu iOS",
  gmail="pon., 5 sty 2026 o 10:00 %s napisał(a):" % ADDR,
  apple="Wiadomość napisana przez %s w dniu 05.01.2026, o godz. 10:00:" % ADDR,
  tb="W dniu 5.01.2026 o 10:00, Bob Smith pisze:",
  yahoo="W poniedziałek, 5 stycznia 2026 10:00:00 CET, %s napisał:" % ADDR,
  zoho="---- W dniu pon, 05 sty 2026 10:00:00 +0100 %s napisał ----" % ADDR,
  mailru="Poniedziałek, 5 stycznia 2026, 10:00 +03:00 od %s:" % ADDR,
  labels=("Od", "Wysłano", "Do", "Temat"), marker="-----Wiadomość oryginalna-----"),
 "cs": dict(signoff="S pozdravem", reply="Díky, už to funguje.\nTiskárna zase tiskne.", sig="Odesláno z iPhonu", osig="Stáhněte si Outlook pro iOS",
  gmail="po 5. 1. 2026 v 10:00 odesílatel %s napsal:" % ADDR,
  apple="5. 1. 2026 v 10:00, odesílatel %s napsal:" % ADDR,
  tb="Dne 05. 01. 26 v 10:00 Bob Smith napsal(a):",
  yahoo="Dne pondělí 5. ledna 2026 10:00:00 SEČ, %s napsal(a):" % ADDR,
  zoho="---- Dne po, 05 led 2026 10:00:00 +0100 %s napsal ----" % ADDR,
  mailru="Pondělí, 5. ledna 2026, 10:00 +03:00 od %s:" % ADDR,
  labels=("Od", "Odesláno", "Komu", "Předmět"), marker="-----Původní zpráva-----"),
 "ru": dict(signoff="С уважением,", reply="Спасибо, теперь всё работает.\nПринтер снова печатает.", sig="Отправлено с iPhone", osig="Получить Outlook для iOS",
  gmail="пн, 5 янв. 2026 г. в 10:00, %s:" % ADDR,
  apple="5 янв. 2026 г., в 10:00, %s написал(а):" % ADDR,
  tb="05.01.2026 10:00, Bob Smith пишет:",
  yahoo="понедельник, 5 января 2026 г., 10:00:00 GMT+3, %s написал:" % ADDR,
  zoho="---- Пн, 05 янв 2026 10:00:00 +0300 %s написал ----" % ADDR,
  mailru="Понедельник, 5 января 2026, 10:00 +03:00 от %s:" % ADDR,
  labels=("От", "Отправлено", "Кому", "Тема"), marker="-----Исходное сообщение-----"),
 "uk": dict(signoff="З повагою,", reply="Дякую, тепер усе працює.\nПринтер знову друкує.", sig="Надіслано з iPhone", osig="Отримати Outlook для iOS",
  gmail="пн, 5 січ. 2026 р. о 10:00 %s пише:" % ADDR,
  apple="5 січ. 2026 р. о 10:00 %s написав(ла):" % ADDR,
  tb="05.01.2026 10:00, Bob Smith написав:",
  yahoo="понеділок, 5 січня 2026 р., 10:00:00 GMT+2, %s пише:" % ADDR,
  zoho="---- Пн, 05 січ 2026 10:00:00 +0200 %s написав ----" % ADDR,
  mailru="Понеділок, 5 січня 2026, 10:00 +03:00 від %s:" % ADDR,
  labels=("Від", "Надіслано", "Кому", "Тема"), marker="-----Оригінальне повідомлення-----"),
 "tr": dict(signoff="Saygılarımla,", reply="Teşekkürler, artık çalışıyor.\nYazıcı yeniden yazdırıyor.", sig="iPhone'umdan gönderildi", osig="iOS için Outlook'u edinin",
  gmail="%s, 5 Oca 2026 Pzt, 10:00 tarihinde şunu yazdı:" % ADDR,
  apple="5 Oca 2026 tarihinde 10:00 saatinde, %s şunları yazdı:" % ADDR,
  tb="05.01.2026 10:00 tarihinde Bob Smith yazdı:",
  yahoo="5 Ocak 2026 Pazartesi 10:00:00 GMT+3 tarihinde %s şunu yazdı:" % ADDR,
  zoho="---- Pzt, 05 Oca 2026 10:00:00 +0300 %s yazdı ----" % ADDR,
  mailru="Pazartesi, 5 Ocak 2026, 10:00 +03:00, %s:" % ADDR,
  labels=("Kimden", "Gönderildi", "Kime", "Konu"), marker="-----Orijinal Mesaj-----"),
 "ja": dict(signoff="よろしくお願いいたします。", reply="ありがとうございます。解決しました。\nプリンターが印刷できるようになりました。", sig="iPhoneから送信", osig="Outlook for iOS を入手",
  gmail="2026年1月5日(月) 10:00 %s:" % ADDR,
  apple="2026/01/05 10:00、%sのメール:" % ADDR,
  tb="2026/01/05 10:00 に Bob Smith さんは書きました:",
  yahoo="2026年1月5日(月) 10:00、%s のメッセージ:" % ADDR,
  zoho="---- 月, 05 1月 2026 10:00:00 +0900 %s 書きました ----" % ADDR,
  mailru="2026年1月5日 月曜日 10:00 +09:00、%s:" % ADDR,
  labels=("差出人", "送信日時", "宛先", "件名"), marker="-----元のメッセージ-----"),
 "zh": dict(signoff="此致", reply="谢谢，问题已经解决了。\n打印机又能打印了。", sig="发自我的iPhone", osig="获取 Outlook for iOS",
  gmail="%s 于2026年1月5日周一 10:00写道：" % ADDR,
  apple="2026年1月5日 10:00，%s 写道：" % ADDR,
  tb="在 2026/1/5 10:00, Bob Smith 写道:",
  yahoo="在 2026年1月5日星期一 上午10:00:00 [GMT+8]，%s 写道：" % ADDR,
  zoho="---- 在 星期一, 05 一月 2026 10:00:00 +0800 %s 撰写 ----" % ADDR,
  mailru="2026年1月5日 星期一 10:00 +08:00，来自 %s：" % ADDR,
  labels=("发件人", "发送时间", "收件人", "主题"), marker="-----原始邮件-----"),
 "ko": dict(signoff="안녕히 계세요.", reply="감사합니다. 이제 잘 됩니다.\n프린터가 다시 인쇄됩니다.", sig="iPhone에서 보냄", osig="iOS용 Outlook 받기",
  gmail="2026년 1월 5일 (월) 오전 10:00, %s님이 작성:" % ADDR,
  apple="2026. 1. 5. 오전 10:00, %s 작성:" % ADDR,
  tb="2026-01-05 오전 10:00에 Bob Smith 이(가) 쓴 글:",
  yahoo="2026년 1월 5일 월요일 오전 10:00:00 GMT+9, %s 작성:" % ADDR,
  zoho="---- 월, 05 1월 2026 10:00:00 +0900 %s 작성 ----" % ADDR,
  mailru="2026년 1월 5일 월요일, 10:00 +09:00, %s:" % ADDR,
  labels=("보낸 사람", "보낸 날짜", "받는 사람", "제목"), marker="-----원본 메시지-----"),
}

def q(lines):
    return ["> " + l if l else ">" for l in lines]

def header(d, bold=False, sent_first=False):
    f, s, t, j = d["labels"]
    b = "*" if bold else ""
    rows = [(f, ADDR), (s, "05.01.2026 10:00"), (t, "support@example.com"), (j, "Printer")]
    if sent_first:
        rows = [rows[1], rows[0], rows[2], rows[3]]
    return ["%s%s:%s %s" % (b, k, b, v) for k, v in rows]

def plain(d):
    r = d["reply"].split("\n")
    c = {}
    c["gmail"] = r + ["", d["gmail"], ""] + q(ORIG)
    c["gmail_unquoted"] = r + ["", d["gmail"], ""] + ORIG
    c["apple_iphone"] = r + ["", d["sig"], ""] + [d["apple"], ""] + q(ORIG)
    c["apple_unquoted"] = r + ["", d["apple"], ""] + ORIG
    c["thunderbird"] = r + ["", d["tb"]] + q(ORIG)
    c["thunderbird_interleaved"] = ["Hi,", "", d["tb"]] + q(ORIG[:2]) + [""] + r[:1] + [""] + q(ORIG[2:3]) + [""] + r[1:] + [""] + q(ORIG[3:])
    c["yahoo"] = r + ["", d["yahoo"], ""] + q(ORIG)
    c["zoho"] = r + ["", "", d["zoho"], ""] + ORIG
    c["mailru"] = r + ["", "", d["mailru"]] + q(ORIG)
    c["outlook_desktop"] = r + ["", d["marker"]] + header(d) + [""] + ORIG
    c["outlook_desktop_nosep"] = r + ["", ""] + header(d, bold=True) + ["", ""] + ORIG
    c["outlook_web"] = r + ["", "________________________________"] + header(d) + [""] + ORIG
    c["outlook_ios"] = r + ["", d["osig"], "________________________________"] + header(d) + [""] + ORIG
    c["outlook_android"] = r + ["", d["osig"].replace("iOS", "Android"), "", "________________________________"] + header(d) + ["", ""] + q(ORIG)
    c["signoff"] = r + ["", d["signoff"], "Bob Smith", "Example GmbH", "+49 30 1234567", "", d["gmail"], ""] + q(ORIG)
    c["gmx"] = r + ["", "", ""] + header(d, sent_first=True) + [""] + ORIG
    return c

def esc(s):
    return html.escape(s, quote=False)

def paras(lines):
    return "".join("<div>%s</div>" % (esc(l) if l else "<br>") for l in lines)

def hheader(d):
    f, s, t, j = d["labels"]
    rows = [(f, ADDR), (s, "05.01.2026 10:00"), (t, "support@example.com"), (j, "Printer")]
    return "<br>".join("<b>%s:</b> %s" % (esc(k), esc(v)) for k, v in rows)

def htmls(d):
    r = d["reply"].split("\n")
    top = '<html><head><style>p{margin:0}</style></head><body><div dir="ltr">%s</div>' % "<br>".join(esc(l) for l in r)
    c = {}
    c["gmail"] = top + '<br><div class="gmail_quote"><div dir="ltr" class="gmail_attr">%s<br></div><blockquote class="gmail_quote" style="margin:0px 0px 0px 0.8ex">%s</blockquote></div></body></html>' % (esc(d["gmail"]), paras(ORIG))
    c["outlook_desktop"] = top + '<p>&nbsp;</p><div><div style="border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0cm 0cm 0cm"><p class="MsoNormal">%s</p></div></div><p>&nbsp;</p>%s</body></html>' % (hheader(d), paras(ORIG))
    c["outlook_web"] = top + '<div id="appendonsend"></div><hr style="display:inline-block;width:98%%" tabindex="-1"><div id="divRplyFwdMsg" dir="ltr"><font face="Calibri">%s</font><div>&nbsp;</div></div><div>%s</div></body></html>' % (hheader(d), paras(ORIG))
    c["apple"] = top + '<div><br><div>%s</div><blockquote type="cite"><div>%s</div></blockquote></div></body></html>' % (esc(d["apple"]), paras(ORIG))
    c["thunderbird"] = top + '<div class="moz-cite-prefix">%s<br></div><blockquote type="cite">%s</blockquote></body></html>' % (esc(d["tb"]), paras(ORIG))
    c["yahoo"] = top + '<div id="yahoo_quoted_123" class="yahoo_quoted"><div style="font-size:13px">%s</div><div><div dir="ltr">%s</div></div></div></body></html>' % (esc(d["yahoo"]), paras(ORIG))
    c["zoho"] = top + '<div class="zmail_extra_hr" style="border-top:1px solid #ccc"></div><div class="zmail_extra"><div><br></div><div id="Zm-_Id_-Sgn1">%s<br></div><blockquote style="margin:0px 0px 0px 5px">%s</blockquote></div></body></html>' % (esc(d["zoho"]), paras(ORIG))
    c["mailru"] = top + '<br><br>%s<br><blockquote style="border-left:1px solid #0857A6">%s</blockquote></body></html>' % (esc(d["mailru"]), paras(ORIG))
    return c

def write(name, ext, text, visible):
    with open(os.path.join(HERE, name + ext), "w", encoding="utf-8") as f:
        f.write(text)
    with open(os.path.join(HERE, name + ".visible"), "w", encoding="utf-8") as f:
        f.write(visible + "\n")

for code, d in L.items():
    for client, lines in plain(d).items():
        want = d["reply"]
        if client == "thunderbird_interleaved":
            want = "Hi,\n\n" + d["reply"].replace("\n", "\n\n")
        write("%s-%s" % (code, client), ".txt", "\n".join(lines) + "\n", want)
    for client, text in htmls(d).items():
        write("%s-html-%s" % (code, client), ".html", text + "\n", d["reply"])
