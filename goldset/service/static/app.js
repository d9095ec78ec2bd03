// goldset web app: a few lines of plain JS for partial updates (no framework, no CDN).
"use strict";
