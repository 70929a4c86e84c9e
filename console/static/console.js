// The console's live updates, progressive: every page works without it.
"use strict";
