app-name = Facteur
app-tagline = Votre courrier, dans le navigateur et sur tous vos appareils.

## Connexion
login-title = Connexion
login-heading = Connectez-vous à votre messagerie
login-username = Adresse e-mail
login-password = Mot de passe
login-submit = Se connecter
login-error-credentials = Adresse e-mail ou mot de passe incorrect.
login-error-missing = Saisissez votre adresse e-mail et votre mot de passe.
login-error-unreachable = Le serveur de messagerie est injoignable pour le moment. Votre courrier est en sécurité ; réessayez dans un instant.
login-error-timeout = Le serveur de messagerie n’a pas répondu à temps. Réessayez dans un instant.
login-error-limit = Le serveur de messagerie a trop de connexions ouvertes pour votre compte en ce moment. Votre courrier est en sécurité ; réessayez dans un instant, ou fermez les applications de messagerie dont vous ne vous servez pas.
login-error-server = Le serveur de messagerie a signalé un problème. Réessayez plus tard.
login-session-ended = Votre session a pris fin. Veuillez vous reconnecter.
login-signed-out = Vous êtes déconnecté.
logout = Se déconnecter

## Dossiers
folders = Dossiers
menu = Menu
skip-to-content = Aller au contenu
folder-inbox = Boîte de réception
folder-drafts = Brouillons
folder-sent = Envoyés
folder-archive = Archives
folder-junk = Indésirables
folder-trash = Corbeille
folder-unread = { $count ->
    [one] 1 non lu
   *[other] { $count } non lus
}

## Liste des messages
list-empty = Ce dossier ne contient aucun message.
sort-by = Trier par
sort-direction = Sens
sort-date = Date
sort-arrival = Arrivée
sort-from = Expéditeur
sort-subject = Objet
sort-size = Taille
sort-desc = Décroissant
sort-asc = Croissant
sort-apply = Trier
sort-unavailable = Ce serveur de messagerie ne classe les messages que par ordre d’arrivée.
list-conversation-count = { $count ->
    [one] { $count } message
   *[other] { $count } messages
}
list-page = Page { $page } sur { $pages }
list-newer = Plus récents
list-older = Plus anciens
list-range = { $first }–{ $last } sur { $total }
list-range-empty = 0 sur { $total }
list-first = Les plus récents
list-last = Les plus anciens
list-go-to-page = Page
list-go = Aller
filter-all = Tous
filter-unread = Non lus
filter-starred = Suivis
list-filters = Afficher
list-selected-page = { $count ->
    [one] Le message de cette page est sélectionné.
   *[other] Les { $count } messages de cette page sont sélectionnés.
}
list-select-folder = Sélectionner les { $total } messages de « { $folder } »
list-selected-folder = Les { $total } messages de « { $folder } » sont sélectionnés.
list-clear-selection = Tout désélectionner
list-count = { $count ->
    [one] 1 message
   *[other] { $shown } messages
}
list-no-subject = (sans objet)
list-unknown-sender = (expéditeur inconnu)
list-unread = Non lu
list-flagged = Suivi
list-answered = Réponse envoyée
list-attachment = Contient des pièces jointes
list-col-from = De
list-col-subject = Objet
list-col-date = Date
list-col-size = Taille

## Lecture d’un message
msg-from = De
msg-to = À
msg-cc = Cc
msg-reply-to = Répondre à
msg-date = Date
msg-back = { $role ->
    [inbox] Retour à la boîte de réception
    [drafts] Retour aux brouillons
    [sent] Retour aux messages envoyés
    [archive] Retour aux archives
    [junk] Retour aux indésirables
    [trash] Retour à la corbeille
   *[other] Retour au dossier « { $folder } »
}
msg-source = Afficher la source
msg-show-images = Afficher les images
msg-images-blocked = Les images distantes sont masquées pour protéger votre vie privée.
msg-attachments = { $count ->
    [one] 1 pièce jointe
   *[other] { $count } pièces jointes
}
msg-download-all = Tout télécharger
msg-view-image = Voir
msg-download = Télécharger
pdf-page = Page { $n } sur { $total }
pdf-pages = { $count ->
    [one] 1 page
   *[other] { $count } pages
}
pdf-more = Les { $shown } premières pages sur { $total } sont affichées ; téléchargez le fichier pour voir la suite.
pdf-back = Retour au message
pdf-note = Affiché par Facteur : les liens et formulaires du fichier ne fonctionnent pas ici. Téléchargez-le pour les utiliser.
msg-damaged = Ce message est endommagé : certaines parties peuvent manquer ou être illisibles. La source montre tout ce qu’il contient.
msg-empty-body = Ce message ne contient pas de texte.
msg-frame-title = Contenu du message
msg-conversation = { $count ->
    [one] { $count } message dans cette conversation
   *[other] { $count } messages dans cette conversation
}
msg-open = Ouvrir
msg-original-colours = Afficher les couleurs d’origine
msg-dark-colours = Afficher en couleurs sombres
msg-neighbours = Autres messages
msg-newer = Message plus récent
msg-older = Message plus ancien

## Erreurs
error-not-found-title = Introuvable
error-not-found-text = Ce dossier ou ce message n’existe pas. Il a peut-être été déplacé ou supprimé depuis une autre application de messagerie.
error-back = Retour à la boîte de réception
error-unavailable-title = Serveur de messagerie indisponible
error-unavailable-text = Le serveur de messagerie est injoignable pour le moment. Votre courrier est en sécurité ; réessayez dans un instant.
error-timeout-text = Le serveur de messagerie n’a pas répondu à temps. Réessayez dans un instant.
error-refused-text = Le serveur de messagerie a refusé cette demande.
error-refused-said = Le serveur de messagerie a refusé : { $reason }
error-limit-text = Il y a trop de connexions au serveur de messagerie en ce moment. Votre courrier est en sécurité ; réessayez dans un instant.
error-store-title = Facteur est momentanément indisponible
error-store-text = Facteur ne joint pas sa base de données pour le moment. Votre courrier est en sécurité sur le serveur de messagerie ; réessayez dans un instant.
error-internal-title = Une erreur est survenue
error-internal-text = Facteur n’a pas pu traiter cette demande. Le problème a été consigné.
error-forbidden-title = Demande refusée
error-forbidden-text = Ce formulaire a expiré ou ne provient pas de ce site. Rechargez la page et réessayez.
error-bad-request-title = Demande invalide
error-bad-request-text = Cette adresse n’est pas valide.
error-request-id = Identifiant de la demande : { $id }

## Tailles
size-bytes = { $n } octets
size-kb = { $n } ko
size-mb = { $n } Mo
size-gb = { $n } Go
quota-used = { $used } utilisés sur { $limit }
quota-title = Espace de la boîte aux lettres
quota-warning = Votre boîte aux lettres est pleine à { $percent } % ({ $used } sur { $limit }). Une fois pleine, les nouveaux messages seront refusés.
quota-full = Votre boîte aux lettres est presque pleine : { $percent } % ({ $used } sur { $limit }). Les nouveaux messages seront bientôt refusés et l’envoi peut échouer.
quota-over-action = Votre boîte aux lettres est pleine : le serveur de messagerie a refusé. Rien n’a été déplacé ; libérez de l’espace (videz la corbeille, supprimez ou archivez les gros messages), puis réessayez.
quota-free = Libérer de l’espace
quota-over = Votre boîte aux lettres est pleine : le serveur de messagerie a refusé d’enregistrer ce message. Rien n’est perdu ; libérez de l’espace (videz la corbeille, supprimez ou archivez les gros messages), puis réessayez.

## Mois
month-short-1 = janv.
month-short-2 = févr.
month-short-3 = mars
month-short-4 = avr.
month-short-5 = mai
month-short-6 = juin
month-short-7 = juil.
month-short-8 = août
month-short-9 = sept.
month-short-10 = oct.
month-short-11 = nov.
month-short-12 = déc.

## Actions
settings = Paramètres
undo = Annuler
close = Fermer
cancel = Annuler
select = Sélectionner
select-all = Tout sélectionner sur cette page
action-archive = Archiver
action-delete = Supprimer
action-delete-forever = Supprimer définitivement
action-spam = Signaler comme spam
action-notspam = Ce n’est pas un spam
action-read = Marquer comme lu
action-unread = Marquer comme non lu
action-star = Suivre
action-unstar = Ne plus suivre
action-move = Déplacer
action-move-to = Déplacer vers…
notice-labelled = { $count ->
    [one] Étiquette ajoutée.
   *[other] Étiquette ajoutée à { $count } messages.
}
notice-unlabelled = { $count ->
    [one] Étiquette retirée.
   *[other] Étiquette retirée de { $count } messages.
}
notice-label-invalid = Une étiquette ne peut ni commencer par $ ou \, ni contenir ( ) {"{"} % * " ] ou \ ; elle compte au plus 64 caractères.
action-labels = Étiquettes
action-label-new = Nouvelle étiquette
action-label-add = Ajouter
action-label-remove = Retirer l’étiquette { $label }
label-important = Important
label-work = Travail
label-personal = Personnel
label-todo = À faire
label-later = Plus tard
action-more = Plus
actions = Actions
notice-read = { $count ->
    [one] Marqué comme lu.
   *[other] { $count } messages marqués comme lus.
}
notice-unread = { $count ->
    [one] Marqué comme non lu.
   *[other] { $count } messages marqués comme non lus.
}
notice-starred = { $count ->
    [one] Message suivi.
   *[other] { $count } messages suivis.
}
notice-unstarred = { $count ->
    [one] Suivi retiré.
   *[other] { $count } messages ne sont plus suivis.
}
notice-archived = { $count ->
    [one] Déplacé vers « { $folder } ».
   *[other] { $count } messages déplacés vers « { $folder } ».
}
notice-moved = { $count ->
    [one] Déplacé vers « { $folder } ».
   *[other] { $count } messages déplacés vers « { $folder } ».
}
notice-deleted = { $count ->
    [one] Déplacé vers « { $folder } ».
   *[other] { $count } messages déplacés vers « { $folder } ».
}
notice-deleted-forever = { $count ->
    [one] Supprimé définitivement.
   *[other] { $count } messages supprimés définitivement.
}
notice-spam = { $count ->
    [one] Signalé comme spam et déplacé vers « { $folder } ».
   *[other] { $count } messages signalés comme spam et déplacés vers « { $folder } ».
}
notice-notspam = { $count ->
    [one] Marqué comme légitime et déplacé vers « { $folder } ».
   *[other] { $count } messages marqués comme légitimes et déplacés vers « { $folder } ».
}
notice-nothing = Rien à faire : les messages y sont déjà.
notice-nothing-selected = Sélectionnez d’abord un ou plusieurs messages.
notice-undone = Action annulée.
notice-undo-gone = Rien à annuler : les messages ont changé entre-temps, peut-être dans une autre application de messagerie.
confirm-title = Supprimer définitivement ?
confirm-delete-forever = { $count ->
    [one] Supprimer ce message définitivement ? Cette action est irréversible.
   *[other] Supprimer ces { $count } messages définitivement ? Cette action est irréversible.
}
confirm-delete-forever-js = Supprimer définitivement ? Cette action est irréversible.
error-gone-title = Ce message n’est plus là
error-gone-text = Ce message a été supprimé ou déplacé, peut-être depuis une autre application de messagerie.

## Raccourcis clavier
shortcuts-title = Raccourcis clavier
key-next-prev = Message suivant / précédent
key-open = Ouvrir le message
key-back = Revenir à la liste
key-select = Sélectionner le message
key-star = Suivre ou ne plus suivre
key-archive = Archiver
key-delete = Supprimer
key-spam = Signaler comme spam
key-read-unread = Marquer comme lu / non lu
key-move = Déplacer vers un dossier
key-snooze = Mettre en attente jusqu’à un moment donné
key-go = Aller à la boîte de réception / aux envoyés / aux brouillons / à la corbeille
key-search = Rechercher dans le courrier
key-help = Afficher ces raccourcis

## Paramètres
settings-title = Paramètres
settings-language = Langue
settings-language-auto = Celle du navigateur
settings-shortcuts = Raccourcis clavier (appuyez sur ? pour les voir)
settings-conversations = Regrouper les messages par conversation dans les listes
settings-theme = Thème
settings-theme-system = Comme le système
settings-theme-light = Clair
settings-theme-dark = Sombre
settings-density = Densité des listes
settings-density-comfortable = Confortable
settings-density-compact = Compacte
settings-per-page = Messages par page
settings-save = Enregistrer
settings-saved = Vos paramètres sont enregistrés.
notice-stale = Ce dossier a changé entre-temps, peut-être dans une autre application de messagerie : le voici tel qu’il est maintenant. Rien n’a été fait.
notice-refused = Le serveur de messagerie a refusé : { $reason }. Rien n’a été fait.
search-label = Rechercher dans le courrier
search-placeholder = Rechercher dans le courrier
search-button = Rechercher
search-heading = Résultats de la recherche
search-title = Recherche : { $query }
search-count = { $count ->
    [one] 1 message
   *[other] { $shown } messages
}
search-nothing = Aucun message ne correspond.
search-largest-first = Les plus gros d’abord
search-newest-first = Les plus récents d’abord
search-partial = { $searched } dossiers sur { $folders } parcourus pour l’instant.
search-keep-going = Les parcourir tous
search-recent = Recherches récentes
search-help = Opérateurs : from:, to:, cc:, bcc:, subject:, in:, is:unread, is:read, is:starred, is:answered, is:draft, has:attachment, filename:, before:AAAA-MM-JJ, after:AAAA-MM-JJ, older_than:3d, newer_than:2w, larger:500K, smaller:10M, sort:size (les plus gros d’abord) ; « mots exacts » entre guillemets droits, - pour exclure, OR, (parenthèses).
search-error-operator = { $operator } n’est pas un opérateur de recherche.
search-error-value = { $operator } n’accepte pas « { $value } ».
search-error-scope-inside = in: et sort: ne peuvent pas être dans un OR, après un moins ou entre parenthèses.
search-error-two-scopes = Cherchez dans un dossier à la fois (deux in: ont été donnés).
search-error-malformed = Cette recherche est incomplète : vérifiez ses guillemets, ses parenthèses et ses OR.
search-error-empty = Tapez ce que vous cherchez.
search-error-too-long = Cette recherche est trop longue : { $max } caractères au plus.
search-error-folder = Il n’y a pas de dossier « { $folder } ».
search-delete-forever-elsewhere = Pour supprimer des messages définitivement, ouvrez leur dossier.
search-partly-done = { $folders ->
    [one] Fait dans un dossier ; puis le serveur de messagerie a refusé : { $reason }. Les autres messages n’ont pas été touchés.
   *[other] Fait dans { $folders } dossiers ; puis le serveur de messagerie a refusé : { $reason }. Les autres messages n’ont pas été touchés.
}

## Écrire
compose = Nouveau message
compose-title = Nouveau message
compose-reply-prefix = RE :
compose-forward-prefix = TR :
compose-attribution = Le { $date }, { $name } a écrit :
compose-forwarded-header = ---------- Message transféré ----------
compose-from = De
compose-to = À
compose-cc-bcc = Cc/Cci
compose-cc = Cc
compose-bcc = Cci
compose-subject = Objet
compose-body = Message
compose-bold = Gras
compose-italic = Italique
compose-bullets = Liste à puces
compose-numbers = Liste numérotée
compose-quote = Citation
compose-link = Lien
compose-link-prompt = Adresse du lien (https://…)
compose-rich-on = Mise en forme
compose-rich-off = Texte brut
compose-attachments = Pièces jointes
compose-max-size = (jusqu’à { $max } au total)
compose-remove = Retirer
compose-add-files = Ajouter des fichiers
compose-attach = Joindre
compose-send = Envoyer
compose-save = Enregistrer le brouillon
compose-discard = Abandonner
compose-draft-saved = Brouillon enregistré.
compose-draft-not-saved = Le brouillon n’a pas pu être enregistré ; un nouvel essai aura lieu.
compose-discarded = Le message a été abandonné.
compose-sent = Message envoyé.
compose-sent-not-filed = Message envoyé, mais aucune copie n’a pu être enregistrée dans « Envoyés ».
compose-already-sent = Ce message a déjà été envoyé.
compose-sending = Envoi en cours…
compose-sending-undone = Envoi annulé. Votre message est revenu, tel que vous l’aviez laissé.
compose-sending-too-late = Trop tard pour annuler : le message est déjà parti.
compose-sending-gone = Ce message n’attend plus d’être envoyé.
compose-sending-failed = Non envoyé : { $reason } Le message est dans « Brouillons ».
compose-sending-lost = Non envoyé : le message n’a pas pu être relu. Écrivez-le à nouveau, s’il vous plaît.
compose-send-later = Envoyer plus tard
compose-later-tomorrow = Demain matin (8 h)
compose-later-monday = Lundi matin (8 h)
compose-later-at = Ou le
compose-later-schedule = Programmer
compose-later-bad-time = Choisissez un moment à venir, d’ici un an.
compose-scheduled = Programmé : il partira le { $when }. D’ici là, il attend dans « Brouillons ».
compose-scheduled-editing = Il n’est plus programmé : modifiez-le, puis envoyez-le ou programmez-le à nouveau.
compose-scheduled-cancelled = Il n’est plus programmé : le message reste dans « Brouillons ».
scheduled-title = Programmés
scheduled-help = Les messages à envoyer plus tard. Ils attendent sur le serveur (la page peut être fermée) et dans « Brouillons », où vos autres appareils les voient.
scheduled-empty = Aucun message n’attend d’être envoyé.
scheduled-to = À
scheduled-when = Départ le
scheduled-new-time = Nouveau moment
scheduled-reschedule = Changer l’heure
scheduled-edit = Modifier
scheduled-cancel = Annuler l’envoi
settings-undo-send = Annulation de l’envoi : délai avant l’envoi
settings-undo-send-off = Désactivée (envoi immédiat)
settings-undo-send-seconds = { $n } secondes
settings-undo-send-help = Un message envoyé attend ce délai sur le serveur, avec « Annuler » affiché. Fermer la page ne l’arrête pas.
compose-kept-in-drafts = Votre message est conservé dans « Brouillons » ; vous pourrez l’envoyer de nouveau une fois le problème résolu.
compose-not-kept = Il n’a pas pu être enregistré dans « Brouillons » non plus : gardez cette page ouverte et réessayez.
compose-error-address = Adresse e-mail non valide : { $address }
compose-error-line-break = Les retours à la ligne ne sont pas permis ici.
compose-error-no-recipient = Ajoutez au moins un destinataire.
compose-error-no-identity = Aucune adresse d’expéditeur n’est configurée pour votre compte. Ajoutez-en une dans les paramètres.
compose-error-too-big = Le message dépasse { $max }. Retirez une pièce jointe.
compose-error-file-too-big = « { $name } » n’a pas été joint : un message peut faire { $max } au plus.
compose-error-attachment-lost = Une pièce jointe n’est plus disponible. Joignez-la de nouveau.
compose-error-smtp-down = Le message n’a pas été envoyé : le serveur d’envoi est injoignable.
compose-error-smtp-timeout = Le message n’a pas été envoyé : le serveur d’envoi n’a pas répondu à temps.
compose-error-smtp-unconfirmed = Le serveur d’envoi a cessé de répondre pendant qu’il recevait le message : il a peut-être été envoyé. Avant de l’envoyer à nouveau, vérifiez auprès de vos destinataires.
compose-error-smtp-auth = Le message n’a pas été envoyé : le serveur d’envoi a refusé votre identifiant.
compose-error-smtp-refused = Le message n’a pas été envoyé. Le serveur d’envoi a répondu : { $reason }
msg-reply = Répondre
msg-reply-all = Répondre à tous
msg-forward = Transférer
msg-forward-attach = Transférer en pièce jointe
msg-edit-draft = Modifier le brouillon
key-compose = Écrire un nouveau message
key-reply = Répondre, répondre à tous, transférer
settings-mailto = Ouvrir les liens e-mail (mailto:) avec Facteur
identities-title = Adresses d’expédition
identities-help = Les adresses avec lesquelles vous écrivez, le nom affiché et une signature. Une réponse part de l’adresse à laquelle le message a été écrit. Votre serveur de messagerie doit vous autoriser chaque adresse.
identity-email = Adresse e-mail
identity-name = Votre nom
identity-signature = Signature
identity-default = Utiliser par défaut
identity-delete = Supprimer
identity-add = Ajouter une adresse
identity-error-email = Saisissez une seule adresse e-mail, comme nom@exemple.fr.
identity-error-text = Le nom doit tenir sur une ligne (200 caractères au plus) et la signature en 4000 caractères.
contacts-title = Contacts
contacts-help = Les personnes à qui vous écrivez sont ajoutées ici automatiquement et proposées quand vous saisissez une adresse.
contacts-name = Nom
contacts-email = Adresse e-mail
contacts-add = Ajouter
contacts-empty = Aucun contact pour l’instant.
login-error-expired = Ce formulaire a expiré. Veuillez vous connecter de nouveau.
login-error-throttled = Trop de tentatives échouées. Réessayez dans { $seconds } secondes.
msg-always-show-images = Toujours afficher les images de { $sender }
settings-image-senders = Images toujours affichées pour
settings-logout-everywhere = Se déconnecter partout
settings-logout-everywhere-help = Met fin à vos sessions dans tous les navigateurs, celui-ci compris.

## Many domains
login-error-domain = Le courrier de { $domain } n'est pas hébergé ici. Vérifiez l'adresse, ou connectez-vous au webmail de votre fournisseur.
login-error-full-address = Saisissez votre adresse e-mail complète, par exemple nom@example.org.
login-username-hint = Votre adresse chez { $domain } : la partie avant le @ suffit.
settings-devices = Configurer les applications de messagerie de votre ordinateur et de votre téléphone

folders-title = Dossiers
folders-yours = Vos dossiers
folder-new = Nouveau dossier
folder-name = Nom
folder-inside = Dans
folder-top = (au premier niveau)
folder-create = Créer
folder-save = Enregistrer
folder-rename = Renommer ou déplacer
folder-hide = Masquer de la barre latérale
folder-show = Afficher dans la barre latérale
folder-hidden = masqué de la barre latérale
folder-delete = Supprimer
folder-delete-title = Supprimer un dossier
folder-counts = { $total ->
    [0] aucun message
    [one] 1 message
   *[other] { $total } messages
}, { $unread ->
    [0] aucun non lu
    [one] 1 non lu
   *[other] { $unread } non lus
}
folder-delete-question = Supprimer le dossier « { $name } » ? { $count ->
    [0] Il est vide.
    [one] Son message ira dans la corbeille.
   *[other] Ses { $count } messages iront dans la corbeille.
}
folder-delete-ask = Supprimer le dossier « { $name } »{ $folders ->
    [0] {""}
    [one] {" "}et le dossier qu’il contient
   *[other] {" "}et les { $folders } dossiers qu’il contient
} ? { $count ->
    [0] Il ne contient aucun message.
    [one] Il contient 1 message.
   *[other] Il contient { $count } messages.
}
folder-delete-to-trash = Mettre les messages à la corbeille, puis supprimer le dossier
folder-delete-with-messages = Supprimer le dossier avec ses messages
folder-created = Dossier « { $name } » créé.
folder-renamed = Dossier renommé en « { $name } ».
folder-unchanged = Rien n’a changé.
folder-deleted = Dossier « { $name } » supprimé.
folder-deleted-moved = Dossier « { $name } » supprimé ; { $count ->
    [one] son message est dans la corbeille.
   *[other] ses { $count } messages sont dans la corbeille.
}
folder-subscribed = « { $name } » est de nouveau affiché dans la barre latérale.
folder-unsubscribed = « { $name } » est masqué de la barre latérale (il reste sur le serveur).
folder-error-empty = Un dossier doit avoir un nom.
folder-error-long = Ce nom est trop long (120 caractères au plus).
folder-error-separator = Un nom ne peut pas contenir le séparateur de dossiers ; choisissez l’emplacement du dossier avec « Dans ».
folder-error-character = Un nom ne peut contenir ni saut de ligne, ni caractère de contrôle, ni « * » ou « % ».
folder-error-reserved = Ce nom est réservé par le serveur de messagerie.
folder-error-exists = Un dossier de ce nom existe déjà à cet endroit.
folder-error-protected = La boîte de réception et les dossiers Brouillons, Envoyés, Archives, Indésirables et Corbeille (ainsi qu’un dossier qui en contient un) ne peuvent être ni renommés ni supprimés.
folder-error-inside = Un dossier ne peut pas aller dans lui-même.
folder-error-missing = Ce dossier n’existe plus (il a peut-être été modifié dans une autre application).
folder-error-server = Le serveur de messagerie a refusé : { $reason }
folders-manage = Gérer les dossiers
archive-busy = Une exportation ou une importation est déjà en cours : attendez qu’elle se termine, puis réessayez.
archive-title = Archives
archive-export-selected = Télécharger (mbox)
archive-export-mbox = Télécharger au format mbox
archive-export-zip = Télécharger en fichiers .eml (zip)
archive-export-all = Télécharger tout votre courrier (zip)
archive-export-all-mbox = Télécharger tout votre courrier (zip de fichiers mbox)
archive-import = Importer dans ce dossier
archive-import-file = Un fichier mbox, un .eml ou un zip de ceux-ci
archive-import-button = Importer
import-title = Importation dans « { $name } »
import-done = { $count ->
    [0] Aucun message importé
    [one] 1 message importé
   *[other] { $count } messages importés
} dans « { $name } » (fichier de { $size }).
import-duplicates = { $count ->
    [one] 1 message était déjà dans le dossier et a été ignoré.
   *[other] { $count } messages étaient déjà dans le dossier et ont été ignorés.
}
import-stopped = L’importation s’est arrêtée au message { $number } : { $why }. Les messages précédents sont dans le dossier. Importez de nouveau le même fichier pour continuer : les messages déjà importés sont ignorés.
import-why-full = la boîte aux lettres est pleine (libérez d’abord de l’espace)
import-skipped = { $count ->
    [one] 1 message n’a pas pu être importé
   *[other] { $count } messages n’ont pas pu être importés
}
import-message-number = Message { $number }
import-skip-large = trop volumineux
import-skip-empty = vide
import-skip-binary = contient des octets qu’un serveur de messagerie ne peut pas stocker
import-skip-not-mail = ce n’est pas un message
import-no-file = Choisissez un fichier à importer.
import-too-large = Ce fichier est trop volumineux pour être importé (4 Go au plus).
import-read = { $read } lus sur { $size }
import-so-far = { $count ->
    [one] { $count } message importé pour l’instant
   *[other] { $count } messages importés pour l’instant
}
import-running = L’importation continue pendant que vous lisez vos messages : vous pouvez quitter cette page.
import-refresh = Actualiser
import-open-folder = Ouvrir le dossier
import-why-interrupted = Facteur a redémarré pendant l’importation
space-title = Libérer de l’espace
space-folders = Dossiers par taille
space-largest = Les plus gros messages
space-largest-none = Aucun message pour l’instant.
space-largest-all = Voir tous les messages, les plus gros d’abord, pour les déplacer, les supprimer ou les télécharger
space-older-show = Les afficher
space-messages = { $count ->
    [0] aucun message
    [one] 1 message
   *[other] { $count } messages
}
space-empty = Vider { $name }
space-empty-question = Supprimer définitivement { $count ->
    [one] le message
   *[other] les { $count } messages
} de « { $name } » ? C’est irréversible.
space-emptied = « { $name } » vidé : { $count ->
    [one] 1 message supprimé
   *[other] { $count } messages supprimés
} définitivement.
space-age = { $months ->
    [one] 1 mois
   *[other] { $months } mois
}
archive-to-computer = Archiver sur mon ordinateur
archive-explain = Téléchargez les anciens messages d’un dossier dans un fichier mbox (Thunderbird, Apple Mail et la plupart des logiciels de messagerie l’ouvrent), puis supprimez exactement ceux-là du serveur pour libérer de l’espace.
archive-folder = Dossier
archive-older = Plus anciens que
archive-choose = Choisir ces messages
archive-none = Aucun message de ce dossier n’est antérieur au { $day }.
archive-summary = { $count ->
    [one] 1 message
   *[other] { $count } messages
} de « { $name } » antérieurs au { $day }, { $size }.
archive-download = Les télécharger (mbox)
archive-then = Une fois le téléchargement terminé, revenez sur cette page pour les supprimer du serveur.
archive-check = Vérifier de nouveau
archive-downloaded = Le téléchargement est terminé. Gardez le fichier en lieu sûr : une fois supprimés ici, ces messages n’existeront plus que dans ce fichier.
archive-delete = Supprimer ces { $count } messages du serveur (libère { $size })
archive-not-downloaded = Téléchargez d’abord les messages : ils ne sont supprimés qu’une fois leur téléchargement terminé.
archive-changed = Ce dossier a changé entre-temps (recréé ou renommé) : rien n’a été supprimé.
archive-deleted = { $count ->
    [one] 1 message supprimé
   *[other] { $count } messages supprimés
} du serveur ; { $size } libérés.

## Règles sur le serveur de messagerie : filtres, réponse d’absence, transfert, script.
filters-title = Filtres
filters-explain = Des règles que votre serveur de messagerie applique à l’arrivée des messages : elles fonctionnent Facteur fermé, sur tous vos appareils.
filters-unavailable = Votre serveur de messagerie ne propose pas de règles (ManageSieve), ou il est injoignable pour l’instant.
filters-unavailable-auth = Votre serveur de messagerie a refusé la connexion pour ses règles (ManageSieve).
filters-list = Vos filtres
filters-none = Aucun filtre pour l’instant.
filters-off = désactivé
filters-edit = Modifier
filters-turn-off = Désactiver
filters-turn-on = Activer
filters-up = Monter
filters-down = Descendre
filters-delete = Supprimer
filters-delete-question = Supprimer le filtre « { $name } » ?
filters-new = Nouveau filtre
filters-edit-title = Modifier le filtre
filters-name = Nom
filters-when = Quand un message arrive
filters-all = et que toutes ces conditions sont remplies
filters-any = et que l’une de ces conditions est remplie
filters-field = Champ
filters-field-from = De
filters-field-to = À ou Cc
filters-field-subject = Objet
filters-field-size = Taille
filters-field-header = Autre en-tête
filters-field-header-named = En-tête { $name }
filters-header-name = Nom de l’en-tête
filters-op = Comparaison
filters-op-contains = contient
filters-op-is = est
filters-op-matches = correspond à (* et ?)
filters-op-over = dépasse
filters-op-under = est inférieure à
filters-value = Valeur
filters-then = Alors
filters-action = Action
filters-kind-none = (rien de plus)
filters-kind-move = Déplacer dans le dossier
filters-kind-copy = Copier dans le dossier
filters-kind-read = Marquer comme lu
filters-kind-star = Suivre
filters-kind-forward = Transférer à
filters-kind-delete = Supprimer
filters-target = Dossier ou adresse
filters-keep = En cas de transfert, garder une copie ici
filters-stop = Puis s’arrêter : les filtres suivants ne voient pas ce message
filters-save = Enregistrer le filtre
filters-cancel = Annuler
filters-and = et
filters-or = ou
filters-do-move = déplacer dans « { $folder } »
filters-do-copy = copier dans « { $folder } »
filters-do-read = marquer comme lu
filters-do-star = suivre
filters-do-forward = { $keep ->
    [yes] transférer à { $address } (une copie reste ici)
   *[no] transférer à { $address }
}
filters-do-delete = supprimer
filters-do-stop = s’arrêter
filters-saved = Filtres enregistrés sur votre serveur de messagerie.
filters-deleted = Filtre supprimé.
filters-blocked = Expéditeur bloqué : ses messages iront dans les indésirables.
filters-blocked-name = Bloqué : { $address }
filters-refused = Votre serveur de messagerie a refusé ces règles : { $reason }.
filters-error-header = Un nom d’en-tête ne contient que des lettres, des chiffres et des tirets (comme List-Id).
filters-error-size = Une taille est un nombre, suivi éventuellement de K, M ou G (comme 500K).
filters-error-empty = Une condition a besoin d’une valeur.
filters-error-line-break = Une valeur ne peut pas contenir de saut de ligne.
filters-error-address = Ce n’est pas une adresse électronique.
filters-error-date = Une date s’écrit AAAA-MM-JJ.
filters-error-extension = Votre serveur de messagerie ne sait pas faire cela (son Sieve n’a pas « { $extension } »).
filters-error-folder = Déplacer ou copier demande un dossier.
filters-error-form = Le formulaire de ce filtre est incomplet.
filters-error-no-condition = Donnez au filtre au moins une condition avec une valeur.
filters-error-no-action = Donnez au filtre au moins une action.
filters-edited = Les règles écrites par Facteur sur votre serveur ont été modifiées à la main depuis. Facteur ne les change pas tant que vous n’avez pas choisi de remplacer ces modifications.
filters-edited-refused = Les règles ont été modifiées à la main sur le serveur : remplacez d’abord ces modifications (page Filtres), ou modifiez-les à la main.
filters-see-script = Voir les règles telles qu’elles sont
filters-reset = Remplacer les modifications faites à la main
filters-reset-question = Remplacer les règles modifiées à la main par celles de Facteur ?
filters-other = Des règles écrites par une autre application (« { $name } ») sont actives sur votre serveur. Facteur les garde : elles passent avant vos filtres d’ici.
filters-other-show = Les afficher
filters-included = Vos règles d’une autre application (« { $name } ») passent avant ces filtres.
filters-include-stop = Ne plus les appliquer (elles restent sur le serveur)
filters-spam-title = Indésirables
filters-spam-on = Les messages que le filtre antispam de votre serveur signale vont dans les indésirables.
filters-spam-off = Les messages signalés comme indésirables par votre serveur restent dans la boîte de réception.
forward-title = Transfert
forward-address = Transférer tous les messages à
forward-keep = Garder une copie ici
forward-note = Certains serveurs limitent le transfert vers d’autres domaines. Laissez vide pour arrêter le transfert.
forward-save = Enregistrer le transfert
vacation-title = Réponse d’absence
vacation-explain = Une réponse automatique que votre serveur envoie pendant votre absence, une fois par expéditeur pour le nombre de jours choisi.
vacation-enabled = Envoyer une réponse d’absence
vacation-start = Premier jour
vacation-end = Dernier jour
vacation-no-dates = Votre serveur ne sait pas arrêter la réponse à une date donnée : désactivez-la à votre retour.
vacation-subject = Objet
vacation-body = Message
vacation-days = Répondre de nouveau au même expéditeur après (jours)
vacation-save = Enregistrer
vacation-saved-on = Votre réponse d’absence est activée.
vacation-saved-off = Votre réponse d’absence est désactivée.
vacation-banner = Votre réponse d’absence est activée.
vacation-banner-until = Votre réponse d’absence est activée jusqu’au { $day }.
vacation-turn-off = La désactiver
sieve-title = Règles sous forme de script
sieve-explain = Vos règles telles que votre serveur les applique (Sieve). Votre serveur vérifie un script avant de le garder.
sieve-active = actif
sieve-ours = Facteur écrit ce script à partir de vos filtres : les modifications faites ici apparaissent sur la page Filtres, qui demande avant de les remplacer.
sieve-refused = Votre serveur n’a pas accepté ce script ; rien n’a été modifié :
sieve-name = Nom du script
sieve-script = Script
sieve-save = Vérifier et enregistrer
sieve-saved = Script enregistré.
sieve-error-name = Un script a besoin d’un nom sans saut de ligne (128 caractères au plus).
msg-filter-like = Filtrer les messages de ce type
msg-block-sender = Bloquer l’expéditeur
filters-block-title = Bloquer { $address }
filters-block-question = Les messages de { $address } iront directement dans les indésirables, sur tous vos appareils (un filtre sur votre serveur de messagerie).
filters-block = Bloquer
filters-apply = Appliquer aux messages déjà présents…
filters-apply-title = Appliquer « { $name } » aux messages déjà présents
filters-apply-folder = Dossier
filters-apply-count-button = Compter
filters-apply-count = { $count ->
    [0] Aucun message de « { $folder } » ne correspond.
    [one] 1 message de « { $folder } » correspond.
   *[other] { $count } messages de « { $folder } » correspondent.
}
filters-apply-new-only = Le transfert et les copies ne s’appliquent qu’aux messages qui arrivent désormais.
filters-apply-button = { $count ->
    [one] Appliquer à ce message
   *[other] Appliquer à ces { $count } messages
}
filters-applied = { $count ->
    [one] Filtre appliqué à 1 message.
   *[other] Filtre appliqué à { $count } messages.
}

## Snooze
action-snooze = Mettre en attente
snooze-at = En attente jusqu’au
snooze-done = { $count ->
    [one] En attente jusqu’au { $when }. Il reviendra en haut de votre boîte de réception, non lu.
   *[other] { $count } messages en attente jusqu’au { $when }. Ils reviendront en haut de votre boîte de réception, non lus.
}
snooze-bad-time = Choisissez un moment à venir, d’ici un an.
snooze-off = La mise en attente est désactivée sur ce serveur.
snooze-already = Ces messages sont déjà en attente : changez leur heure ici.
snooze-waking = Retour dans votre boîte de réception dans un instant.
snooze-rescheduled = En attente jusqu’au { $when }.
snooze-gone = Cette attente est terminée : le message est revenu dans votre boîte de réception.
snoozed-title = En attente
snoozed-help = Les messages mis de côté jusqu’à un moment donné. Ils attendent dans le dossier « Snoozed », où vos autres appareils les voient, puis reviennent en haut de votre boîte de réception, non lus.
snoozed-empty = Aucun message n’est en attente.
snoozed-when = Revient le
snoozed-wake = Faire revenir maintenant
snoozed-more = { $count ->
    [one] et 1 autre message
   *[other] et { $count } autres messages
}

## Notifications
push-title = Notifications sur cet appareil
push-help = Une notification pour chaque nouveau message de votre boîte de réception, même quand aucun onglet Facteur n’est ouvert. Activez-les dans chaque navigateur ou téléphone où vous les voulez.
push-preview = Afficher l’expéditeur et l’objet (sinon « Nouveau message » seulement)
push-turn-on = Activer les notifications
push-turn-off = Désactiver sur cet appareil
push-state-on = Les notifications sont activées sur cet appareil.
push-state-off = Les notifications sont désactivées sur cet appareil.
push-state-denied = Ce navigateur bloque les notifications de ce site : autorisez-les dans ses réglages du site, puis réessayez.
push-state-unsupported = Ce navigateur ne peut pas afficher les notifications d’une page web (sur iPhone, ajoutez d’abord Facteur à l’écran d’accueil).
push-state-failed = Les notifications n’ont pas pu être activées ou désactivées. Réessayez plus tard.
push-new-mail = Nouveau message
push-back-from-snooze = De retour après l’attente : { $from }
push-snoozed-back = Un message mis en attente est revenu dans votre boîte de réception.

## Two-step sign-in
verify-title = Deuxième étape
verify-help = La connexion en deux étapes est activée pour ce compte. Saisissez le code affiché par votre application d’authentification, ou l’un de vos codes de secours.
verify-code = Code
verify-code-hint = Six chiffres de l’application, ou un code de secours (comme abcde-fghjk).
verify-submit = Continuer
verify-cancel = Annuler et se déconnecter
verify-error = Ce code n’est pas le bon, ou il a déjà servi.
security-title = Sécurité
security-link = Sécurité et connexion en deux étapes
security-two-step = Connexion en deux étapes
security-two-step-help = Après votre mot de passe, Facteur demande un code d’une application d’authentification sur votre téléphone (comme Aegis, FreeOTP ou Google Authenticator). Quelqu’un qui apprendrait votre mot de passe ne pourrait pas ouvrir votre courrier ici sans elle.
security-off = La connexion en deux étapes est désactivée.
security-on = La connexion en deux étapes est activée.
security-codes-left = { $count ->
    [one] Il reste 1 code de secours.
   *[other] Il reste { $count } codes de secours.
}
security-setup-start = Configurer une application d’authentification
security-setup-scan = Scannez ce code avec votre application d’authentification.
security-setup-qr = Code QR pour l’application d’authentification
security-setup-type = Ou saisissez-y cette clé :
security-setup-code = Le code à six chiffres affiché maintenant par l’application
security-setup-confirm = Activer
security-setup-wrong-code = Ce code n’est pas celui qu’affiche l’application maintenant. Vérifiez l’heure du téléphone et essayez le code suivant.
security-setup-expired = La configuration n’a pas été terminée : recommencez.
security-turned-on = La connexion en deux étapes est activée. Gardez les codes de secours ci-dessous en lieu sûr.
security-turned-off = La connexion en deux étapes est désactivée.
security-codes-once = Vos codes de secours. Chacun sert une fois, à la place d’un code de l’application, si vous perdez votre téléphone. Ils ne s’affichent que maintenant : imprimez-les ou gardez-les dans un gestionnaire de mots de passe.
security-fresh-code = Un code de votre application, ou un code de secours, pour confirmer
security-new-codes = Nouveaux codes de secours
security-turn-off = Désactiver la connexion en deux étapes
security-limit-title = Ce qu’elle ne protège pas
security-limit = Votre mot de passe de messagerie ouvre toujours votre boîte dans les logiciels de messagerie (Thunderbird, Outlook, l’application Mail du téléphone), qui ne demandent pas cette deuxième étape. Si votre hébergeur propose des mots de passe d’application, utilisez-en un par logiciel et gardez votre mot de passe principal pour cette page seule.
security-sessions = Où vous êtes connecté
security-this-device = Cet appareil
security-signed-in = connexion le { $when }
security-last-seen = dernière activité le { $when }
security-sign-out-there = Déconnecter cette session
security-sign-out-others = Déconnecter toutes les autres
security-session-this = Pour terminer cette session-ci, déconnectez-vous.
security-session-ended = Cette session est terminée : elle revient à la page de connexion à son prochain clic.
security-session-gone = Cette session était déjà terminée.
security-sessions-ended = { $count ->
    [0] Aucune autre session n’était ouverte.
    [one] 1 autre session terminée.
   *[other] { $count } autres sessions terminées.
}
security-browser-on = { $browser } sur { $system }
security-browser-unknown = Un navigateur inconnu
security-setup-required = Votre hébergeur exige la connexion en deux étapes pour cette adresse. Configurez-la pour accéder à votre courrier.
security-required = Votre hébergeur exige la connexion en deux étapes pour cette adresse : elle reste activée.
security-app-already = Une application d’authentification est déjà configurée. Pour en utiliser une autre, désactivez la connexion en deux étapes, puis configurez-la de nouveau.
security-notices = Connexions depuis un nouveau navigateur
security-notices-are-on = Vous recevez un courriel quand quelqu’un se connecte avec votre mot de passe depuis un navigateur jamais utilisé pour ce compte.
security-notices-are-off = Vous pouvez recevoir un courriel chaque fois que quelqu’un se connecte avec votre mot de passe depuis un navigateur jamais utilisé pour ce compte.
security-notices-turn-on = M’écrire pour chaque nouveau navigateur
security-notices-turn-off = Ne plus m’écrire
security-notices-on = Vous recevrez un courriel quand un nouveau navigateur se connectera.
security-notices-off = Plus de courriels pour les nouveaux navigateurs.
security-notice-subject = Nouvelle connexion à { $brand }
security-notice-body = Quelqu’un s’est connecté à { $brand } avec votre mot de passe depuis un navigateur jamais utilisé pour ce compte.

    Navigateur : { $browser }
    Adresse : { $address }
    Heure : { $when }

    Si c’était vous, il n’y a rien à faire. Sinon, changez votre mot de passe maintenant, puis déconnectez toutes les sessions (Réglages → Sécurité) et activez la connexion en deux étapes.
passkey-title = Clés d’accès et clés de sécurité
passkey-help = Une clé de sécurité (comme une YubiKey) ou une clé d’accès gardée par votre téléphone ou votre ordinateur peut servir de deuxième étape à la place d’un code : touchez-la ou déverrouillez-la quand on vous le demande.
passkey-name = Un nom pour la nouvelle clé
passkey-add = Ajouter une clé
passkey-unnamed = Clé de sécurité
passkey-added = ajoutée le { $when }
passkey-used = dernière utilisation le { $when }
passkey-remove = Retirer
passkey-remove-code = Code pour confirmer
passkey-removed = La clé est retirée.
passkey-gone = Cette clé était déjà retirée.
passkey-failed = La clé n’a pas répondu, ou sa réponse n’a pas été acceptée. Réessayez, ou utilisez un code.
passkey-or = Ou utilisez une clé d’accès ou une clé de sécurité :
passkey-use = Utiliser ma clé
passkey-needs-js = Les clés demandent JavaScript sur cette page.
passkey-confirm-hint = Pour confirmer, vous pouvez aussi laisser le code vide et utiliser l’une de vos clés quand elle est demandée.
passkey-required-last = Votre hébergeur exige la connexion en deux étapes pour cette adresse : configurez une application d’authentification ou une autre clé avant de retirer la dernière.
passkey-removed-last = La clé est retirée. C’était votre dernière deuxième étape : la connexion en deux étapes est désactivée, et vos codes de secours ne fonctionnent plus.
passkey-error-address = Les clés ne fonctionnent que si ce site est ouvert par son nom, pas par une adresse.
passkey-error-many = Vous avez déjà { $count } clés : retirez-en une d’abord.
passkey-error-known = Cette clé est déjà ajoutée.
passkey-add-code = Un code, pour confirmer (ou laissez vide et utilisez l’une de vos clés)
passkey-add-code-only = Un code de votre application, ou un code de secours, pour confirmer
