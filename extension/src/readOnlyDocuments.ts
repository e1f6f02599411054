// Read-only editors for command output (test responses, log explanations): a virtual document
// scheme whose content the extension owns, so the user cannot edit it by accident.
import * as vscode from 'vscode';
import {
    openTextDocument,
    registerTextDocumentContentProvider,
    showTextDocument,
} from './common/vscodeapi';

export const OUTPUT_SCHEME = 'amldebug-output';

export class ReadOnlyDocuments implements vscode.TextDocumentContentProvider {
    private readonly contents = new Map<string, string>();
    private readonly changed = new vscode.EventEmitter<vscode.Uri>();
    readonly onDidChange = this.changed.event;

    register(): vscode.Disposable {
        return registerTextDocumentContentProvider(OUTPUT_SCHEME, this);
    }

    provideTextDocumentContent(uri: vscode.Uri): string {
        return this.contents.get(uri.path) ?? '';
    }

    /** Shows `text` in a read-only editor titled `fileName` (its extension picks the language). */
    async show(fileName: string, text: string): Promise<vscode.Uri> {
        const uri = vscode.Uri.from({ scheme: OUTPUT_SCHEME, path: `/${fileName}` });
        this.contents.set(uri.path, text);
        this.changed.fire(uri);
        const document = await openTextDocument(uri);
        await showTextDocument(document, { preview: false, viewColumn: vscode.ViewColumn.Beside });
        return uri;
    }
}
