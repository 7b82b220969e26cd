"""The embeddable chat widget: static files (whatworks.js, whatworks.css, demo.html) the API serves at /widget/."""
