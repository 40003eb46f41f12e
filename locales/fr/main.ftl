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
login-error-unreachable = Le serveur de messagerie est injoignable pour le moment. Votre courrier est en sécurité ; réessayez dans un instant.
login-error-timeout = Le serveur de messagerie n’a pas répondu à temps. Réessayez dans un instant.
login-error-server = Le serveur de messagerie a signalé un problème. Réessayez plus tard.
login-session-ended = Votre session a pris fin. Veuillez vous reconnecter.
login-signed-out = Vous êtes déconnecté.
logout = Se déconnecter

## Dossiers
folders = Dossiers
menu = Menu
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
title-with-unread = { $folder } ({ $count })

## Liste des messages
list-empty = Ce dossier ne contient aucun message.
list-page = Page { $page } sur { $pages }
list-newer = Plus récents
list-older = Plus anciens
list-count = { $count ->
    [one] 1 message
   *[other] { $count } messages
}
list-no-subject = (sans objet)
list-unknown-sender = (expéditeur inconnu)
list-unread = Non lu
list-flagged = Suivi
list-answered = Répondu
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
msg-back = Retour à { $folder }
msg-source = Afficher la source
msg-show-images = Afficher les images
msg-images-blocked = Les images distantes sont masquées pour protéger votre vie privée.
msg-attachments = { $count ->
    [one] 1 pièce jointe
   *[other] { $count } pièces jointes
}
msg-download = Télécharger
msg-damaged = Ce message est endommagé : certaines parties peuvent manquer ou être illisibles. La source montre tout ce qu’il contient.
msg-empty-body = Ce message ne contient pas de texte.
msg-frame-title = Contenu du message

## Erreurs
error-not-found-title = Introuvable
error-not-found-text = Ce dossier ou ce message n’existe pas. Il a peut-être été déplacé ou supprimé depuis une autre application de messagerie.
error-back = Retour à la boîte de réception
error-unavailable-title = Serveur de messagerie indisponible
error-unavailable-text = Le serveur de messagerie est injoignable pour le moment. Votre courrier est en sécurité ; réessayez dans un instant.
error-timeout-text = Le serveur de messagerie n’a pas répondu à temps. Réessayez dans un instant.
error-refused-text = Le serveur de messagerie a refusé cette demande.
error-internal-title = Une erreur est survenue
error-internal-text = Facteur n’a pas pu traiter cette demande. Le problème a été consigné.
error-forbidden-title = Demande refusée
error-forbidden-text = Ce formulaire a expiré ou ne provient pas de ce site. Rechargez la page et réessayez.
error-bad-request-title = Demande invalide
error-bad-request-text = Cette adresse n’est pas valide.
error-request-id = Identifiant de la demande : { $id }

## Tailles
size-bytes = { $n } octets
size-kb = { $n } ko
size-mb = { $n } Mo

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
action-notspam = Pas un spam
action-read = Marquer comme lu
action-unread = Marquer comme non lu
action-star = Suivre
action-unstar = Ne plus suivre
action-move = Déplacer
action-move-to = Déplacer vers le dossier
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
    [one] Message plus suivi.
   *[other] { $count } messages plus suivis.
}
notice-archived = { $count ->
    [one] Déplacé vers { $folder }.
   *[other] { $count } messages déplacés vers { $folder }.
}
notice-moved = { $count ->
    [one] Déplacé vers { $folder }.
   *[other] { $count } messages déplacés vers { $folder }.
}
notice-deleted = { $count ->
    [one] Déplacé vers { $folder }.
   *[other] { $count } messages déplacés vers { $folder }.
}
notice-deleted-forever = { $count ->
    [one] Supprimé définitivement.
   *[other] { $count } messages supprimés définitivement.
}
notice-spam = { $count ->
    [one] Signalé comme spam et déplacé vers { $folder }.
   *[other] { $count } messages signalés comme spam et déplacés vers { $folder }.
}
notice-notspam = { $count ->
    [one] Marqué comme légitime et déplacé vers { $folder }.
   *[other] { $count } messages marqués comme légitimes et déplacés vers { $folder }.
}
notice-nothing = Rien à faire : les messages y sont déjà.
notice-nothing-selected = Sélectionnez d’abord un ou plusieurs messages.
notice-undone = Action annulée.
notice-undo-gone = Rien à annuler : les messages ont changé entre-temps, peut-être dans une autre application de messagerie.
confirm-title = Supprimer définitivement ?
confirm-delete-forever = { $count ->
    [one] Supprimer ce message définitivement ? Cette action est irréversible.
   *[other] Supprimer ces { $count } messages définitivement ? Cette action est irréversible.
}
confirm-delete-forever-js = Supprimer définitivement ? Cette action est irréversible.
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
key-go = Aller à Boîte de réception / Envoyés / Brouillons / Corbeille
key-help = Afficher ces raccourcis

## Paramètres
settings-title = Paramètres
settings-language = Langue
settings-language-auto = Celle du navigateur
settings-shortcuts = Raccourcis clavier (appuyez sur ? pour les voir)
settings-save = Enregistrer
settings-saved = Vos paramètres sont enregistrés.
notice-stale = Ce dossier a changé entre-temps, peut-être dans une autre application de messagerie : le voici tel qu’il est maintenant. Rien n’a été fait.
