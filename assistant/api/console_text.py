"""The console's words in English and French (a page is in one language, chosen by the curator)."""

from __future__ import annotations

from typing import Literal

ConsoleLanguage = Literal["en", "fr"]

TEXT: dict[str, dict[ConsoleLanguage, str]] = {
    "console": {"en": "whatworks curator console", "fr": "Console des curateurs whatworks"},
    "skip": {"en": "Skip to the content", "fr": "Aller au contenu"},
    "nav": {"en": "Console sections", "fr": "Sections de la console"},
    "gaps": {"en": "Evidence gaps", "fr": "Lacunes de la base"},
    "feedback": {"en": "Feedback", "fr": "Avis des membres"},
    "queries": {"en": "Query log", "fr": "Journal des questions"},
    "documents": {"en": "Documents", "fr": "Documents"},
    "sign_in": {"en": "Sign in", "fr": "Se connecter"},
    "sign_out": {"en": "Sign out", "fr": "Se déconnecter"},
    "signed_in_as": {"en": "Signed in as", "fr": "Connecté en tant que"},
    "other_language": {"en": "Français", "fr": "English"},
    "curator_key": {"en": "Curator key", "fr": "Clé de curateur"},
    "key_help": {
        "en": "The key `whatworks curator-key NAME` printed for you. It is not stored in your browser.",
        "fr": "La clé que `whatworks curator-key NOM` a affichée pour vous. Elle n'est pas gardée dans votre "
        "navigateur.",
    },
    "wrong_key": {"en": "That key is wrong or has been revoked.", "fr": "Cette clé est erronée ou révoquée."},
    "expired": {
        "en": "Your session has ended. Sign in again.",
        "fr": "Votre session a pris fin. Connectez-vous de nouveau.",
    },
    "console_off": {
        "en": "The console is off: no curator key is configured. An administrator makes one with "
        "`whatworks curator-key NAME` and adds its hash to WHATWORKS_API__CURATOR_KEYS.",
        "fr": "La console est désactivée : aucune clé de curateur n'est configurée. Un administrateur en crée "
        "une avec `whatworks curator-key NOM` et ajoute son empreinte à WHATWORKS_API__CURATOR_KEYS.",
    },
    "stale_form": {
        "en": "This form had expired. Please try again.",
        "fr": "Ce formulaire avait expiré. Veuillez réessayer.",
    },
    "filter": {"en": "Filter", "fr": "Filtrer"},
    "export_csv": {"en": "Export this view as CSV", "fr": "Exporter cette vue en CSV"},
    "period": {"en": "Period", "fr": "Période"},
    "last_7": {"en": "last 7 days", "fr": "7 derniers jours"},
    "last_30": {"en": "last 30 days", "fr": "30 derniers jours"},
    "last_90": {"en": "last 90 days", "fr": "90 derniers jours"},
    "last_365": {"en": "last 12 months", "fr": "12 derniers mois"},
    "all_time": {"en": "all time", "fr": "depuis le début"},
    "gaps_intro": {
        "en": "Questions the evidence base could not answer, grouped by meaning. Mark a group once you "
        "have added evidence for it, or judged it out of scope.",
        "fr": "Les questions auxquelles la base n'a pas pu répondre, regroupées par sens. Marquez un groupe "
        "une fois la preuve ajoutée, ou la question jugée hors sujet.",
    },
    "no_gaps": {"en": "No open evidence gaps in this period.", "fr": "Aucune lacune ouverte pour cette période."},
    "questions_n": {"en": "questions", "fr": "questions"},
    "question_1": {"en": "question", "fr": "question"},
    "newest": {"en": "Newest", "fr": "La plus récente"},
    "asked": {"en": "Asked", "fr": "Posée le"},
    "languages": {"en": "Languages", "fr": "Langues"},
    "offered": {"en": "Nearest topics offered", "fr": "Sujets proches proposés"},
    "all_questions": {"en": "All questions of this group", "fr": "Toutes les questions du groupe"},
    "mark_added": {"en": "Added to the base", "fr": "Ajouté à la base"},
    "mark_out": {"en": "Out of scope", "fr": "Hors sujet"},
    "marked_added": {"en": "marked as added to the base", "fr": "marquées comme ajoutées à la base"},
    "marked_out": {
        "en": "marked as out of scope and set aside for the gate's calibration review in",
        "fr": "marquées hors sujet et mises de côté pour la révision de l'étalonnage dans",
    },
    "rating": {"en": "Rating", "fr": "Vote"},
    "any": {"en": "any", "fr": "tous"},
    "up": {"en": "Helpful", "fr": "Utile"},
    "down": {"en": "Not helpful", "fr": "Pas utile"},
    "face": {"en": "Where asked", "fr": "Où"},
    "document": {"en": "Document cited", "fr": "Document cité"},
    "from": {"en": "From", "fr": "Du"},
    "to": {"en": "To", "fr": "Au"},
    "no_feedback": {"en": "No feedback matches.", "fr": "Aucun avis ne correspond."},
    "question": {"en": "Question", "fr": "Question"},
    "answer_seen": {"en": "The answer as the member saw it", "fr": "La réponse telle que le membre l'a vue"},
    "answer_gone": {
        "en": "(not kept: asked before answers were logged, or past the retention period)",
        "fr": "(non conservée : posée avant l'enregistrement des réponses, ou au-delà de la durée de conservation)",
    },
    "citations": {"en": "Cited", "fr": "Cités"},
    "comment": {"en": "Comment", "fr": "Commentaire"},
    "search": {"en": "Search the questions", "fr": "Chercher dans les questions"},
    "language": {"en": "Language", "fr": "Langue"},
    "answered": {"en": "Answered", "fr": "Répondue"},
    "yes": {"en": "yes", "fr": "oui"},
    "no": {"en": "no (evidence gap)", "fr": "non (lacune)"},
    "when": {"en": "When", "fr": "Quand"},
    "mode": {"en": "Answer", "fr": "Réponse"},
    "votes": {"en": "Votes", "fr": "Votes"},
    "helpful_n": {"en": "helpful", "fr": "utile"},
    "not_helpful_n": {"en": "not helpful", "fr": "pas utile"},
    "no_queries": {"en": "No questions match.", "fr": "Aucune question ne correspond."},
    "shown_newest": {"en": "Newest first; at most", "fr": "Les plus récentes d'abord ; au plus"},
    "title": {"en": "Title", "fr": "Titre"},
    "verdict": {"en": "Verdict", "fr": "Verdict"},
    "rating_source": {"en": "Rated by", "fr": "Évalué par"},
    "updated": {"en": "Updated", "fr": "Mis à jour"},
    "chunks": {"en": "Chunks", "fr": "Passages"},
    "cited_times": {"en": "Cited", "fr": "Cité"},
    "down_rate": {"en": "Not helpful", "fr": "Pas utile"},
    "inventory": {"en": "Inventory", "fr": "Inventaire"},
    "runs": {"en": "Last ingestion runs", "fr": "Dernières ingestions"},
    "no_runs": {
        "en": "No ingestion run recorded yet (runs of `whatworks-ingest` are kept from now on).",
        "fr": "Aucune ingestion enregistrée (les exécutions de `whatworks-ingest` sont gardées dorénavant).",
    },
    "started": {"en": "Started", "fr": "Début"},
    "result": {"en": "Result", "fr": "Résultat"},
    "errors": {"en": "Errors by file", "fr": "Erreurs par fichier"},
    "no_errors": {"en": "none", "fr": "aucune"},
    "run_counts": {
        "en": "{added} added, {updated} updated, {unchanged} unchanged, {deleted} deleted, {failed} failed; "
        "{chunks} chunks, {seconds:.1f} s",
        "fr": "{added} ajoutés, {updated} mis à jour, {unchanged} inchangés, {deleted} supprimés, {failed} en "
        "échec ; {chunks} passages, {seconds:.1f} s",
    },
    "unavailable": {
        "en": "The query log is unavailable right now; retry in a few seconds.",
        "fr": "Le journal des questions est indisponible pour le moment ; réessayez dans quelques secondes.",
    },
}


def text_for(language: ConsoleLanguage) -> dict[str, str]:
    return {key: words[language] for key, words in TEXT.items()}
