// The parts of CodeMirror 6 the SPARQL editor (static/editor.js) uses, as one global `CM`.
// Bundled by scripts/vendor_npm.py (esbuild, IIFE) into static/vendor/codemirror/codemirror.js.
export { EditorState, EditorSelection, StateEffect, StateField, Prec, Compartment } from "@codemirror/state";
export {
  EditorView, keymap, lineNumbers, highlightActiveLine, highlightActiveLineGutter,
  drawSelection, placeholder, Decoration, ViewPlugin, WidgetType
} from "@codemirror/view";
export { defaultKeymap, history, historyKeymap, indentWithTab } from "@codemirror/commands";
export {
  StreamLanguage, syntaxHighlighting, defaultHighlightStyle, HighlightStyle, bracketMatching,
  indentOnInput, foldGutter
} from "@codemirror/language";
export {
  autocompletion, completionKeymap, startCompletion, closeBrackets, closeBracketsKeymap,
  acceptCompletion, currentCompletions, completionStatus, selectedCompletion
} from "@codemirror/autocomplete";
export { linter, lintGutter, setDiagnostics, forEachDiagnostic, lintKeymap, diagnosticCount } from "@codemirror/lint";
export { searchKeymap, highlightSelectionMatches } from "@codemirror/search";
export { tags } from "@lezer/highlight";
export { sparql } from "@codemirror/legacy-modes/mode/sparql";
