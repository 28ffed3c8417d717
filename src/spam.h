/* spam.h: the optional spam filter a sysadmin already runs (SPEC 3,
 * `spam.rspamd`): rspamd's HTTP /checkv2 is asked about mail that
 * arrived without a verdict header.
 *
 * The request is made with GIO's GSocketClient, not libcurl: `postdesk
 * deliver`, run once per mail by the MTA, links no libcurl so that it
 * starts fast, and a plain HTTP/1.0 POST to a local daemon needs
 * nothing more.  A filter that does not answer within spam.timeout is
 * logged once (a marker file in the spool, so once across deliver
 * processes too) and the mail is processed as if none were configured. */
#ifndef PD_SPAM_H
#define PD_SPAM_H

#include "classify.h"
#include "config.h"
#include "message.h"

/* 1 when msg already carries a filter's verdict (X-Spam-Flag,
 * X-Spam-Status, X-Spam, X-Rspamd-Action, X-Spamd-Result or the
 * configured spam.header): the MTA's filter has spoken. */
int spam_has_verdict(const struct pd_config *cfg, const struct pd_message *msg);

/* Ask rspamd about raw when spam.rspamd is set and msg has no verdict.
 * *reason_r is static text ("rspamd: reject").  Never fails: a filter
 * that is down or slow gives FILTER_NONE after at most the timeout. */
enum pd_filter_action spam_check(const struct pd_config *cfg, const void *raw, size_t len,
    const struct pd_message *msg, const char **reason_r);

#endif
