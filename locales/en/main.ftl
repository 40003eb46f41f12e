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
login-error-limit = The mail server has too many connections open for your account right now. Your mail is safe; please try again in a moment, or close the mail apps you are not using.
login-error-server = The mail server reported a problem. Please try again later.
login-session-ended = Your session has ended. Please sign in again.
login-signed-out = You are signed out.
logout = Sign out

## Folders
folders = Folders
menu = Menu
skip-to-content = Skip to content
folder-inbox = Inbox
folder-drafts = Drafts
folder-sent = Sent
folder-archive = Archive
folder-junk = Junk
folder-trash = Trash
folder-unread = { $count } unread

## Message list
list-empty = There are no messages in this folder.
sort-by = Sort by
sort-direction = Direction
sort-date = Date
sort-arrival = Arrival
sort-from = Sender
sort-subject = Subject
sort-size = Size
sort-desc = Descending
sort-asc = Ascending
sort-apply = Sort
sort-unavailable = This mail server lists messages in order of arrival only.
list-conversation-count = { $count ->
    [one] { $count } message
   *[other] { $count } messages
}
list-page = Page { $page } of { $pages }
list-newer = Newer
list-older = Older
list-range = { $first }–{ $last } of { $total }
list-range-empty = 0 of { $total }
list-first = Newest
list-last = Oldest
list-go-to-page = Page
list-go = Go
filter-all = All
filter-unread = Unread
filter-starred = Starred
list-filters = Show
list-selected-page = { $count ->
    [one] The message on this page is selected.
   *[other] All { $count } on this page are selected.
}
list-select-folder = Select all { $total } in { $folder }
list-selected-folder = All { $total } in { $folder } are selected.
list-clear-selection = Clear selection
list-count = { $count ->
    [one] 1 message
   *[other] { $shown } messages
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
msg-back = { $role ->
   *[other] Back to { $folder }
}
msg-source = View source
msg-show-images = Show images
msg-images-blocked = Remote images are hidden to protect your privacy.
msg-attachments = { $count ->
    [one] 1 attachment
   *[other] { $count } attachments
}
msg-download-all = Download all
msg-view-image = View
msg-download = Download
pdf-page = Page { $n } of { $total }
pdf-pages = { $count ->
    [one] 1 page
   *[other] { $count } pages
}
pdf-more = The first { $shown } of { $total } pages are shown; download the file for the rest.
pdf-back = Back to the message
pdf-note = Drawn by Facteur: links and forms in the file do not work here. Download it to use them.
msg-damaged = This message is damaged: some parts may be missing or garbled. The source shows everything it contains.
msg-empty-body = This message has no text.
msg-frame-title = Message content
msg-conversation = { $count ->
    [one] { $count } message in this conversation
   *[other] { $count } messages in this conversation
}
msg-open = Open
msg-original-colours = Show original colours
msg-dark-colours = Show in dark colours
msg-neighbours = Other messages
msg-newer = Newer
msg-older = Older

## Errors
error-not-found-title = Not found
error-not-found-text = This folder or message does not exist. It may have been moved or deleted by another mail app.
error-back = Back to the inbox
error-unavailable-title = Mail server unavailable
error-unavailable-text = The mail server cannot be reached right now. Your mail is safe; please try again in a moment.
error-timeout-text = The mail server did not answer in time. Please try again in a moment.
error-refused-text = The mail server refused this request.
error-refused-said = The mail server refused: { $reason }
error-limit-text = There are too many connections to the mail server right now. Your mail is safe; please try again in a moment.
error-store-title = Facteur is briefly unavailable
error-store-text = Facteur cannot reach its database right now. Your mail is safe on the mail server; please try again in a moment.
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
size-gb = { $n } GB
quota-used = { $used } of { $limit } used
quota-title = Mailbox space
quota-warning = Your mailbox is { $percent }% full ({ $used } of { $limit }). When it is full, new mail is refused.
quota-full = Your mailbox is almost full: { $percent }% ({ $used } of { $limit }). New mail will soon be refused and sending may fail.
quota-over-action = Your mailbox is full: the mail server refused. Nothing was moved; free up space (empty the Trash, delete or archive large messages), then try again.
quota-free = Free up space
quota-over = Your mailbox is full: the mail server refused to store this message. Nothing was lost; free up space (empty the Trash, delete or archive large messages), then try again.

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

## Actions
settings = Settings
undo = Undo
close = Close
cancel = Cancel
select = Select
select-all = Select all on this page
action-archive = Archive
action-delete = Delete
action-delete-forever = Delete forever
action-spam = Report spam
action-notspam = Not spam
action-read = Mark as read
action-unread = Mark as unread
action-star = Star
action-unstar = Remove star
action-move = Move
action-move-to = Move to…
notice-labelled = { $count ->
    [one] Label added.
   *[other] Label added to { $count } messages.
}
notice-unlabelled = { $count ->
    [one] Label removed.
   *[other] Label removed from { $count } messages.
}
notice-label-invalid = A label cannot start with $ or \ nor hold ( ) {"{"} % * " ] or \, and has at most 64 characters.
action-labels = Labels
action-label-new = New label
action-label-add = Add
action-label-remove = Remove the label { $label }
label-important = Important
label-work = Work
label-personal = Personal
label-todo = To do
label-later = Later
action-more = More
actions = Actions
notice-read = { $count ->
    [one] Marked as read.
   *[other] { $count } messages marked as read.
}
notice-unread = { $count ->
    [one] Marked as unread.
   *[other] { $count } messages marked as unread.
}
notice-starred = { $count ->
    [one] Starred.
   *[other] { $count } messages starred.
}
notice-unstarred = { $count ->
    [one] Star removed.
   *[other] Star removed from { $count } messages.
}
notice-archived = { $count ->
    [one] Moved to { $folder }.
   *[other] { $count } messages moved to { $folder }.
}
notice-moved = { $count ->
    [one] Moved to { $folder }.
   *[other] { $count } messages moved to { $folder }.
}
notice-deleted = { $count ->
    [one] Moved to { $folder }.
   *[other] { $count } messages moved to { $folder }.
}
notice-deleted-forever = { $count ->
    [one] Deleted forever.
   *[other] { $count } messages deleted forever.
}
notice-spam = { $count ->
    [one] Reported as spam and moved to { $folder }.
   *[other] { $count } messages reported as spam and moved to { $folder }.
}
notice-notspam = { $count ->
    [one] Marked as not spam and moved to { $folder }.
   *[other] { $count } messages marked as not spam and moved to { $folder }.
}
notice-nothing = Nothing to do: the messages are already there.
notice-nothing-selected = Select one or more messages first.
notice-undone = Undone.
notice-undo-gone = Nothing to undo: the messages were changed meanwhile, perhaps by another mail app.
confirm-title = Delete forever?
confirm-delete-forever = { $count ->
    [one] Delete this message forever? This cannot be undone.
   *[other] Delete these { $count } messages forever? This cannot be undone.
}
confirm-delete-forever-js = Delete forever? This cannot be undone.
error-gone-title = Message no longer here
error-gone-text = This message was deleted or moved, perhaps by another mail app.

## Keyboard shortcuts
shortcuts-title = Keyboard shortcuts
key-next-prev = Next / previous message
key-open = Open the message
key-back = Back to the list
key-select = Select the message
key-star = Star or unstar
key-archive = Archive
key-delete = Delete
key-spam = Report spam
key-read-unread = Mark as read / unread
key-move = Move to a folder
key-snooze = Snooze until a time
key-go = Go to Inbox / Sent / Drafts / Trash
key-search = Search mail
key-help = Show these shortcuts

## Settings
settings-title = Settings
settings-language = Language
settings-language-auto = Same as the browser
settings-shortcuts = Keyboard shortcuts (press ? to see them)
settings-conversations = Group messages by conversation in folder lists
settings-theme = Theme
settings-theme-system = As the system
settings-theme-light = Light
settings-theme-dark = Dark
settings-density = Density of lists
settings-density-comfortable = Comfortable
settings-density-compact = Compact
settings-per-page = Messages per page
settings-save = Save
settings-saved = Your settings are saved.
notice-stale = This folder changed in the meantime, perhaps in another mail app: here it is as it is now. Nothing was done.
notice-refused = The mail server refused: { $reason }. Nothing was done.
search-label = Search mail
search-placeholder = Search mail
search-button = Search
search-heading = Search results
search-title = Search: { $query }
search-count = { $count ->
    [one] 1 message
   *[other] { $shown } messages
}
search-nothing = No message matches.
search-largest-first = Largest first
search-newest-first = Newest first
search-partial = Searched { $searched } of { $folders } folders so far.
search-keep-going = Search them all
search-recent = Recent searches
search-help = Operators: from:, to:, cc:, bcc:, subject:, in:, is:unread, is:read, is:starred, is:answered, is:draft, has:attachment, filename:, before:YYYY-MM-DD, after:YYYY-MM-DD, older_than:3d, newer_than:2w, larger:500K, smaller:10M, sort:size (largest first); "exact words", -to exclude, OR, (parentheses).
search-error-operator = { $operator } is not a search operator.
search-error-value = { $operator } does not take “{ $value }”.
search-error-scope-inside = in: and sort: cannot be inside OR, a minus or parentheses.
search-error-two-scopes = Search one folder at a time (two in: were given).
search-error-malformed = This search is incomplete: check its quotes, parentheses and OR.
search-error-empty = Type something to search for.
search-error-too-long = This search is too long: { $max } characters at most.
search-error-folder = There is no folder called “{ $folder }”.
search-delete-forever-elsewhere = To delete messages for good, open their folder.
search-partly-done = { $folders ->
    [one] Done in one folder; then the mail server refused: { $reason }. The other messages were left as they were.
   *[other] Done in { $folders } folders; then the mail server refused: { $reason }. The other messages were left as they were.
}

## Writing mail
compose = Compose
compose-title = New message
compose-reply-prefix = Re:
compose-forward-prefix = Fwd:
compose-attribution = On { $date }, { $name } wrote:
compose-forwarded-header = ---------- Forwarded message ----------
compose-from = From
compose-to = To
compose-cc-bcc = Cc/Bcc
compose-cc = Cc
compose-bcc = Bcc
compose-subject = Subject
compose-body = Message
compose-bold = Bold
compose-italic = Italic
compose-bullets = Bulleted list
compose-numbers = Numbered list
compose-quote = Quote
compose-link = Link
compose-link-prompt = Address of the link (https://…)
compose-rich-on = Formatting
compose-rich-off = Plain text
compose-attachments = Attachments
compose-max-size = (up to { $max } in all)
compose-remove = Remove
compose-add-files = Add files
compose-attach = Attach
compose-send = Send
compose-save = Save draft
compose-discard = Discard
compose-draft-saved = Draft saved.
compose-draft-not-saved = The draft could not be saved; it will be tried again.
compose-discarded = The message was discarded.
compose-sent = Message sent.
compose-sent-not-filed = Message sent, but no copy could be saved in the Sent folder.
compose-already-sent = This message was already sent.
compose-sending = Sending…
compose-sending-undone = Sending cancelled. Your message is back, as you left it.
compose-sending-too-late = Too late to undo: the message is already on its way.
compose-sending-gone = This message is no longer waiting to be sent.
compose-sending-failed = Not sent: { $reason } The message is in Drafts.
compose-sending-lost = Not sent: the message could not be read back. Write it again, please.
compose-send-later = Send later
compose-later-tomorrow = Tomorrow morning (8:00)
compose-later-monday = Monday morning (8:00)
compose-later-at = Or at
compose-later-schedule = Schedule
compose-later-bad-time = Choose a time to come, within a year.
compose-scheduled = Scheduled: it goes { $when }. Until then it waits in Drafts.
compose-scheduled-editing = Not scheduled any more: change it, then send it or schedule it again.
compose-scheduled-cancelled = Not scheduled any more: the message stays in Drafts.
scheduled-title = Scheduled
scheduled-help = Messages set to go later. They wait on the server (the page may be closed) and in Drafts, where your other devices see them.
scheduled-empty = No message is waiting to be sent.
scheduled-to = To
scheduled-when = Goes
scheduled-new-time = New time
scheduled-reschedule = Change the time
scheduled-edit = Edit
scheduled-cancel = Cancel sending
settings-undo-send = Undo send: wait before sending
settings-undo-send-off = Off (send at once)
settings-undo-send-seconds = { $n } seconds
settings-undo-send-help = A sent message waits this long on the server, with "Undo" shown. Closing the page does not stop it.
compose-kept-in-drafts = Your message is kept in Drafts; you can send it again when the problem is solved.
compose-not-kept = It could not be saved in Drafts either: keep this page open and try again.
compose-error-address = Not an email address: { $address }
compose-error-line-break = Line breaks are not allowed here.
compose-error-no-recipient = Add at least one recipient.
compose-error-no-identity = No sender address is set up for your account. Add one in Settings.
compose-error-too-big = The message is larger than { $max }. Remove an attachment.
compose-error-file-too-big = “{ $name }” was not attached: a message may be { $max } at most.
compose-error-attachment-lost = An attachment is no longer available. Attach it again.
compose-error-smtp-down = The message was not sent: the outgoing mail server cannot be reached.
compose-error-smtp-timeout = The message was not sent: the outgoing mail server did not answer in time.
compose-error-smtp-unconfirmed = The outgoing mail server stopped answering while it received the message: it may have been sent. Before sending it again, look for it with your recipients.
compose-error-smtp-auth = The message was not sent: the outgoing mail server refused your login.
compose-error-smtp-refused = The message was not sent. The outgoing mail server said: { $reason }
msg-reply = Reply
msg-reply-all = Reply all
msg-forward = Forward
msg-forward-attach = Forward as attachment
msg-edit-draft = Edit draft
key-compose = Write a new message
key-reply = Reply, reply all, forward
settings-mailto = Open email links (mailto:) with Facteur
identities-title = Sender addresses
identities-help = The addresses you send as, with the name people see and a signature. Replies are sent from the address the message was written to. Your mail server must let you use each address.
identity-email = Email address
identity-name = Your name
identity-signature = Signature
identity-default = Use by default
identity-delete = Delete
identity-add = Add an address
identity-error-email = Enter one email address, like name@example.com.
identity-error-text = The name must fit on one line (200 characters at most) and the signature in 4000 characters.
contacts-title = Contacts
contacts-help = People you write to are added here automatically and suggested when you type an address.
contacts-name = Name
contacts-email = Email address
contacts-add = Add
contacts-empty = No contacts yet.
login-error-expired = This form has expired. Please sign in again.
login-error-throttled = Too many failed attempts. Try again in { $seconds } seconds.
msg-always-show-images = Always show images from { $sender }
settings-image-senders = Images always shown from
settings-logout-everywhere = Sign out everywhere
settings-logout-everywhere-help = Ends your sessions in every browser, this one included.

## Many domains
login-error-domain = Mail for { $domain } is not served here. Check the address, or sign in to your own provider's webmail.
login-error-full-address = Type your full email address, like name@example.org.
login-username-hint = Your address at { $domain }: the part before the @ is enough.
settings-devices = Set up your computer and phone mail apps

folders-title = Folders
folders-yours = Your folders
folder-new = New folder
folder-name = Name
folder-inside = Inside
folder-top = (at the top)
folder-create = Create
folder-save = Save
folder-rename = Rename or move
folder-hide = Hide from the sidebar
folder-show = Show in the sidebar
folder-hidden = hidden from the sidebar
folder-delete = Delete
folder-delete-title = Delete a folder
folder-counts = { $total ->
    [one] 1 message
   *[other] { $total } messages
}, { $unread } unread
folder-delete-question = Delete the folder “{ $name }”? { $count ->
    [0] It is empty.
    [one] Its message goes to the Trash.
   *[other] Its { $count } messages go to the Trash.
}
folder-delete-ask = Delete the folder “{ $name }”{ $folders ->
    [0] {""}
    [one] {" "}and the folder inside it
   *[other] {" "}and the { $folders } folders inside it
}? { $count ->
    [0] It holds no messages.
    [one] It holds 1 message.
   *[other] It holds { $count } messages.
}
folder-delete-to-trash = Move the messages to the Trash, then delete the folder
folder-delete-with-messages = Delete the folder with its messages
folder-created = Folder “{ $name }” created.
folder-renamed = Folder renamed to “{ $name }”.
folder-unchanged = Nothing changed.
folder-deleted = Folder “{ $name }” deleted.
folder-deleted-moved = Folder “{ $name }” deleted; { $count ->
    [one] its message is in the Trash.
   *[other] its { $count } messages are in the Trash.
}
folder-subscribed = “{ $name }” is shown in the sidebar again.
folder-unsubscribed = “{ $name }” is hidden from the sidebar (it is still on the server).
folder-error-empty = A folder needs a name.
folder-error-long = That name is too long (120 characters at most).
folder-error-separator = A name cannot contain the folder separator; choose where the folder goes with “Inside”.
folder-error-character = A name cannot contain line breaks, control characters, “*” or “%”.
folder-error-reserved = That name is reserved by the mail server.
folder-error-exists = A folder with that name is already there.
folder-error-protected = The Inbox and the Drafts, Sent, Archive, Spam and Trash folders (and a folder holding one of them) cannot be renamed or deleted.
folder-error-inside = A folder cannot go inside itself.
folder-error-missing = That folder is no longer there (it may have been changed in another app).
folder-error-server = The mail server refused: { $reason }
folders-manage = Manage folders
archive-busy = An export or an import of yours is already running: wait for it to finish, then try again.
archive-title = Archives
archive-export-selected = Download (mbox)
archive-export-mbox = Download as mbox
archive-export-zip = Download as .eml files (zip)
archive-export-all = Download all your mail (zip)
archive-export-all-mbox = Download all your mail (zip of mbox files)
archive-import = Import into this folder
archive-import-file = An mbox, an .eml or a zip of them
archive-import-button = Import
import-title = Import into “{ $name }”
import-done = { $count ->
    [one] 1 message imported
   *[other] { $count } messages imported
} into “{ $name }” (file of { $size }).
import-duplicates = { $count ->
    [one] 1 message was already in the folder and was skipped.
   *[other] { $count } messages were already in the folder and were skipped.
}
import-stopped = The import stopped at message { $number }: { $why }. The messages before it are in the folder. Import the same file again to go on: messages already imported are skipped.
import-why-full = the mailbox is full (free up space first)
import-skipped = { $count ->
    [one] 1 message could not be imported
   *[other] { $count } messages could not be imported
}
import-message-number = Message { $number }
import-skip-large = too large
import-skip-empty = empty
import-skip-binary = holds bytes a mail server cannot store
import-skip-not-mail = not a mail message
import-no-file = Choose a file to import.
import-too-large = That file is too large to import (4 GB at most).
import-read = { $read } of { $size } read
import-so-far = { $count ->
    [one] { $count } message imported so far
   *[other] { $count } messages imported so far
}
import-running = The import goes on while you read your mail: you can leave this page.
import-refresh = Refresh
import-open-folder = Open the folder
import-why-interrupted = Facteur was restarted during the import
space-title = Free up space
space-folders = Folders by size
space-largest = Largest messages
space-largest-none = No message here yet.
space-largest-all = See all messages, largest first, to move, delete or download them
space-older-show = Show them
space-messages = { $count ->
    [one] 1 message
   *[other] { $count } messages
}
space-empty = Empty { $name }
space-empty-question = Delete the { $count ->
    [one] message
   *[other] { $count } messages
} in “{ $name }” for good? This cannot be undone.
space-emptied = “{ $name }” emptied: { $count ->
    [one] 1 message
   *[other] { $count } messages
} deleted for good.
space-age = { $months ->
    [one] 1 month
   *[other] { $months } months
}
archive-to-computer = Archive to my computer
archive-explain = Download the old messages of a folder as one mbox file (Thunderbird, Apple Mail and most mail apps open it), then delete exactly those from the server to free space.
archive-folder = Folder
archive-older = Older than
archive-choose = Choose these messages
archive-none = No message is older than { $day } in that folder.
archive-summary = { $count ->
    [one] 1 message
   *[other] { $count } messages
} of “{ $name }” from before { $day }, { $size }.
archive-download = Download them (mbox)
archive-then = Once the download has finished, come back to this page to delete them from the server.
archive-check = Check again
archive-downloaded = The download finished. Keep the file somewhere safe: once deleted here, these messages exist only in it.
archive-delete = Delete these { $count } messages from the server (frees { $size })
archive-not-downloaded = Download the messages first: they are deleted only after their download finished.
archive-changed = That folder changed since (it was recreated or renamed): nothing was deleted.
archive-deleted = { $count ->
    [one] 1 message
   *[other] { $count } messages
} deleted from the server; { $size } freed.

## Rules on the mail server: filters, vacation reply, forwarding, the raw script.
filters-title = Filters
filters-explain = Rules that your mail server runs as mail arrives: they work when Facteur is closed, on every device.
filters-unavailable = Your mail server does not offer rules (ManageSieve), or cannot be reached for them right now.
filters-unavailable-auth = Your mail server refused the login for its rules (ManageSieve).
filters-list = Your filters
filters-none = No filter yet.
filters-off = off
filters-edit = Edit
filters-turn-off = Turn off
filters-turn-on = Turn on
filters-up = Move up
filters-down = Move down
filters-delete = Delete
filters-delete-question = Delete the filter “{ $name }”?
filters-new = New filter
filters-edit-title = Edit the filter
filters-name = Name
filters-when = When a message arrives
filters-all = and all of these hold
filters-any = and any of these holds
filters-field = Field
filters-field-from = From
filters-field-to = To or Cc
filters-field-subject = Subject
filters-field-size = Size
filters-field-header = Another header
filters-field-header-named = Header { $name }
filters-header-name = Header name
filters-op = Comparison
filters-op-contains = contains
filters-op-is = is
filters-op-matches = matches (* and ?)
filters-op-over = over
filters-op-under = under
filters-value = Value
filters-then = Then
filters-action = Action
filters-kind-none = (nothing more)
filters-kind-move = Move to folder
filters-kind-copy = Copy to folder
filters-kind-read = Mark as read
filters-kind-star = Star
filters-kind-forward = Forward to
filters-kind-delete = Delete
filters-target = Folder or address
filters-keep = When forwarding, keep a copy here
filters-stop = Then stop: the filters below do not see this message
filters-save = Save the filter
filters-cancel = Cancel
filters-and = and
filters-or = or
filters-do-move = move to “{ $folder }”
filters-do-copy = copy to “{ $folder }”
filters-do-read = mark as read
filters-do-star = star
filters-do-forward = { $keep ->
    [yes] forward to { $address } (a copy stays here)
   *[no] forward to { $address }
}
filters-do-delete = delete
filters-do-stop = stop
filters-saved = Filters saved on your mail server.
filters-deleted = Filter deleted.
filters-blocked = Sender blocked: their mail goes to Spam.
filters-blocked-name = Blocked: { $address }
filters-refused = Your mail server refused these rules: { $reason }.
filters-error-header = A header name holds only letters, digits and hyphens (like List-Id).
filters-error-size = A size is a number, optionally followed by K, M or G (like 500K).
filters-error-empty = A condition needs a value.
filters-error-line-break = A value cannot hold a line break.
filters-error-address = That is not an email address.
filters-error-date = A date is written YYYY-MM-DD.
filters-error-extension = Your mail server cannot do this (its Sieve lacks “{ $extension }”).
filters-error-folder = Moving or copying needs a folder.
filters-error-form = This filter's form is incomplete.
filters-error-no-condition = Give the filter at least one condition with a value.
filters-error-no-action = Give the filter at least one action.
filters-edited = The rules Facteur wrote on your mail server were changed by hand since. Facteur does not change them until you choose to replace those changes.
filters-edited-refused = The rules were changed by hand on the server: replace those changes first (Filters page), or edit them by hand.
filters-see-script = See the rules as they are
filters-reset = Replace the changes made by hand
filters-reset-question = Replace the rules changed by hand with Facteur's?
filters-other = Rules written by another app (“{ $name }”) are active on your mail server. Facteur keeps them: they run before your filters here.
filters-other-show = Show them
filters-included = Your rules from another app (“{ $name }”) run before these filters.
filters-include-stop = Stop running them (they stay on the server)
filters-spam-title = Spam
filters-spam-on = Messages your mail server's spam filter marks go to Spam.
filters-spam-off = Messages marked as spam by your mail server stay in the Inbox.
forward-title = Forwarding
forward-address = Forward all mail to
forward-keep = Keep a copy here
forward-note = Some mail servers restrict forwarding to other domains. Leave empty to stop forwarding.
forward-save = Save forwarding
vacation-title = Vacation reply
vacation-explain = An automatic answer your mail server sends while you are away, once per sender for the number of days chosen.
vacation-enabled = Send a vacation reply
vacation-start = First day
vacation-end = Last day
vacation-no-dates = Your mail server cannot stop the reply on a given day: turn it off when you are back.
vacation-subject = Subject
vacation-body = Message
vacation-days = Answer the same sender again after (days)
vacation-save = Save
vacation-saved-on = Your vacation reply is on.
vacation-saved-off = Your vacation reply is off.
vacation-banner = Your vacation reply is on.
vacation-banner-until = Your vacation reply is on until { $day }.
vacation-turn-off = Turn it off
sieve-title = Rules as a script
sieve-explain = Your rules as your mail server runs them (Sieve). Your mail server checks a script before keeping it.
sieve-active = active
sieve-ours = Facteur writes this script from your filters: changes made here show on the Filters page, which asks before replacing them.
sieve-refused = Your mail server did not accept this script; nothing was changed:
sieve-name = Script name
sieve-script = Script
sieve-save = Check and save
sieve-saved = Script saved.
sieve-error-name = A script needs a name without line breaks (128 characters at most).
msg-filter-like = Filter messages like this
msg-block-sender = Block the sender
filters-block-title = Block { $address }
filters-block-question = Mail from { $address } will go straight to Spam, on every device (a filter on your mail server).
filters-block = Block
filters-apply = Apply to messages already here…
filters-apply-title = Apply “{ $name }” to messages already there
filters-apply-folder = Folder
filters-apply-count-button = Count
filters-apply-count = { $count ->
    [0] No message in “{ $folder }” matches.
    [one] 1 message in “{ $folder }” matches.
   *[other] { $count } messages in “{ $folder }” match.
}
filters-apply-new-only = Forwarding and copies apply only to mail that arrives from now on.
filters-apply-button = { $count ->
    [one] Apply to this message
   *[other] Apply to these { $count } messages
}
filters-applied = { $count ->
    [one] Filter applied to 1 message.
   *[other] Filter applied to { $count } messages.
}

## Snooze
action-snooze = Snooze
snooze-at = Snooze until
snooze-done = { $count ->
    [one] Snoozed until { $when }. It will come back to the top of your Inbox, unread.
   *[other] { $count } messages snoozed until { $when }. They will come back to the top of your Inbox, unread.
}
snooze-bad-time = Choose a time to come, within a year.
snooze-off = Snooze is turned off on this server.
snooze-already = These messages are snoozed already: change their time here.
snooze-waking = Coming back to your Inbox now.
snooze-rescheduled = Snoozed until { $when }.
snooze-gone = This snooze is over: the message is back in your Inbox.
snoozed-title = Snoozed
snoozed-help = Messages put away until a time. They wait in the Snoozed folder, where your other devices see them, and come back to the top of your Inbox, unread.
snoozed-empty = No message is snoozed.
snoozed-when = Comes back
snoozed-wake = Bring back now
snoozed-more = { $count ->
    [one] and 1 more message
   *[other] and { $count } more messages
}

## Notifications
push-title = Notifications on this device
push-help = A notification for each new message in your Inbox, also with every Facteur tab closed. Turn it on in each browser or phone where you want it.
push-preview = Show the sender and the subject (otherwise "New mail" alone)
push-turn-on = Turn on notifications
push-turn-off = Turn off on this device
push-state-on = Notifications are on for this device.
push-state-off = Notifications are off for this device.
push-state-denied = This browser blocks notifications from this site: allow them in its site settings, then try again.
push-state-unsupported = This browser cannot show notifications from a web page (on an iPhone, add Facteur to the Home Screen first).
push-state-failed = Notifications could not be turned on or off. Try again later.
push-new-mail = New mail
push-back-from-snooze = Back from snooze: { $from }
push-snoozed-back = A snoozed message is back in your Inbox.

## Two-step sign-in
verify-title = Second step
verify-help = Two-step sign-in is on for this account. Enter the code your authenticator app shows, or one of your recovery codes.
verify-code = Code
verify-code-hint = Six digits from the app, or a recovery code (like abcde-fghjk).
verify-submit = Continue
verify-cancel = Cancel and sign out
verify-error = That code is not right, or was used already.
security-title = Security
security-link = Security and two-step sign-in
security-two-step = Two-step sign-in
security-two-step-help = After your password, Facteur asks for a code from an authenticator app on your phone (such as Aegis, FreeOTP or Google Authenticator). Someone who learns your password cannot open your mail here without it.
security-off = Two-step sign-in is off.
security-on = Two-step sign-in is on.
security-codes-left = { $count ->
    [one] 1 recovery code left.
   *[other] { $count } recovery codes left.
}
security-setup-start = Set up an authenticator app
security-setup-scan = Scan this code with your authenticator app.
security-setup-qr = QR code for the authenticator app
security-setup-type = Or type this key into it:
security-setup-code = The six-digit code the app shows now
security-setup-confirm = Turn on
security-setup-wrong-code = That code is not the one the app shows now. Check the phone's clock and try the next code.
security-setup-expired = The set-up was left unfinished: start again.
security-turned-on = Two-step sign-in is on. Keep the recovery codes below somewhere safe.
security-turned-off = Two-step sign-in is off.
security-codes-once = Your recovery codes. Each works once, in place of an app code, if you lose your phone. They are shown only now: print them or keep them in a password manager.
security-fresh-code = A code from your app, or a recovery code, to confirm
security-new-codes = New recovery codes
security-turn-off = Turn off two-step sign-in
security-limit-title = What it does not protect
security-limit = Your mail password still opens your mailbox in mail apps (Thunderbird, Outlook, your phone's Mail app), which do not ask for this second step. If your provider offers app passwords, use one for each mail app and keep your main password for this page alone.
security-sessions = Where you are signed in
security-this-device = This device
security-signed-in = signed in { $when }
security-last-seen = last active { $when }
security-sign-out-there = Sign out there
security-sign-out-others = Sign out everywhere else
security-session-this = To end this session, sign out.
security-session-ended = That session is ended: it goes back to the sign-in page at its next click.
security-session-gone = That session had ended already.
security-sessions-ended = { $count ->
    [0] No other session was open.
    [one] 1 other session ended.
   *[other] { $count } other sessions ended.
}
security-browser-on = { $browser } on { $system }
security-browser-unknown = An unknown browser
security-setup-required = Your provider requires two-step sign-in for this address. Set it up to continue to your mail.
security-required = Your provider requires two-step sign-in for this address: it stays on.
security-app-already = An authenticator app is set up already. To use another, turn two-step sign-in off, then set it up again.
security-notices = Sign-ins from a new browser
security-notices-are-on = You get an email when someone signs in with your password from a browser that has not signed in before.
security-notices-are-off = You can get an email each time someone signs in with your password from a browser that has not signed in before.
security-notices-turn-on = Email me about new browsers
security-notices-turn-off = Stop these emails
security-notices-on = You will get an email when a new browser signs in.
security-notices-off = No more emails about new browsers.
security-notice-subject = New sign-in to { $brand }
security-notice-body = Someone signed in to { $brand } with your password from a browser that had not signed in before.

    Browser: { $browser }
    Address: { $address }
    Time: { $when }

    If it was you, there is nothing to do. If not, change your password now, then sign out everywhere (Settings → Security), and turn on two-step sign-in.
passkey-title = Passkeys and security keys
passkey-help = A security key (such as a YubiKey) or a passkey kept by your phone or computer can be your second step instead of a code: touch it, or unlock it, when asked.
passkey-name = A name for the new key
passkey-add = Add a key
passkey-unnamed = Security key
passkey-added = added { $when }
passkey-used = last used { $when }
passkey-remove = Remove
passkey-remove-code = Code to confirm
passkey-removed = The key is removed.
passkey-gone = That key was removed already.
passkey-failed = The key did not answer, or its answer was not accepted. Try again, or use a code.
passkey-or = Or use a passkey or security key:
passkey-use = Use my key
passkey-needs-js = Keys need JavaScript in this page.
passkey-confirm-hint = To confirm, you can also leave the code empty and use one of your keys when asked.
passkey-required-last = Your provider requires two-step sign-in for this address: set up an authenticator app or another key before removing your last one.
passkey-removed-last = The key is removed. It was your last second step: two-step sign-in is off, and your recovery codes no longer work.
passkey-error-address = Keys work only when this site is opened by its name, not by an address.
passkey-error-many = You have { $count } keys already: remove one first.
passkey-error-known = This key is added already.
passkey-add-code = A code, to confirm (or leave it empty and use one of your keys)
passkey-add-code-only = A code from your app, or a recovery code, to confirm
