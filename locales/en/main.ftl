app-name = Facteur
app-tagline = Your mail, in the browser and on every device.

## Login
login-title = Sign in
login-heading = Sign in to your mailbox
login-username = Email address
login-password = Password
login-submit = Sign in
login-error-credentials = Wrong email address or password.
login-error-missing = Enter your email address and your password.
login-error-unreachable = The mail server cannot be reached right now. Your mail is safe; please try again in a moment.
login-error-timeout = The mail server did not answer in time. Please try again in a moment.
login-error-server = The mail server reported a problem. Please try again later.
login-session-ended = Your session has ended. Please sign in again.
login-signed-out = You are signed out.
logout = Sign out

## Folders
folders = Folders
menu = Menu
folder-inbox = Inbox
folder-drafts = Drafts
folder-sent = Sent
folder-archive = Archive
folder-junk = Junk
folder-trash = Trash
folder-unread = { $count } unread
title-with-unread = { $folder } ({ $count })

## Message list
list-empty = There are no messages in this folder.
list-page = Page { $page } of { $pages }
list-newer = Newer
list-older = Older
list-count = { $count ->
    [one] 1 message
   *[other] { $count } messages
}
list-no-subject = (no subject)
list-unknown-sender = (unknown sender)
list-unread = Unread
list-flagged = Starred
list-answered = Answered
list-attachment = Has attachments
list-col-from = From
list-col-subject = Subject
list-col-date = Date
list-col-size = Size

## Message view
msg-from = From
msg-to = To
msg-cc = Cc
msg-reply-to = Reply to
msg-date = Date
msg-back = Back to { $folder }
msg-mark-unread = Mark as unread
msg-source = View source
msg-show-images = Show images
msg-images-blocked = Remote images are hidden to protect your privacy.
msg-attachments = { $count ->
    [one] 1 attachment
   *[other] { $count } attachments
}
msg-download = Download
msg-damaged = This message is damaged: some parts may be missing or garbled. The source shows everything it contains.
msg-empty-body = This message has no text.
msg-frame-title = Message content

## Errors
error-not-found-title = Not found
error-not-found-text = This folder or message does not exist. It may have been moved or deleted by another mail app.
error-back = Back to the inbox
error-unavailable-title = Mail server unavailable
error-unavailable-text = The mail server cannot be reached right now. Your mail is safe; please try again in a moment.
error-timeout-text = The mail server did not answer in time. Please try again in a moment.
error-refused-text = The mail server refused this request.
error-internal-title = Something went wrong
error-internal-text = Facteur could not complete this request. The problem has been logged.
error-forbidden-title = Request refused
error-forbidden-text = This form has expired or did not come from this site. Reload the page and try again.
error-bad-request-title = Invalid request
error-bad-request-text = This address is not valid.
error-request-id = Request ID: { $id }

## Sizes
size-bytes = { $n } bytes
size-kb = { $n } KB
size-mb = { $n } MB

## Months
month-short-1 = Jan
month-short-2 = Feb
month-short-3 = Mar
month-short-4 = Apr
month-short-5 = May
month-short-6 = Jun
month-short-7 = Jul
month-short-8 = Aug
month-short-9 = Sep
month-short-10 = Oct
month-short-11 = Nov
month-short-12 = Dec
