// Every call the extension makes into the `vscode` API goes through this module, so unit tests can
// replace these functions with sinon stubs instead of needing a running VS Code.
import * as vscode from 'vscode';

export function registerCommand(
    command: string,
    callback: (...args: any[]) => unknown,
): vscode.Disposable {
    return vscode.commands.registerCommand(command, callback);
}

export function executeCommand<T = unknown>(command: string, ...rest: unknown[]): Thenable<T> {
    return vscode.commands.executeCommand<T>(command, ...rest);
}

export function setContext(key: string, value: unknown): Thenable<unknown> {
    return vscode.commands.executeCommand('setContext', key, value);
}

export function getConfiguration(
    section: string,
    scope?: vscode.ConfigurationScope,
): vscode.WorkspaceConfiguration {
    return vscode.workspace.getConfiguration(section, scope);
}

export function onDidChangeConfiguration(
    handler: (e: vscode.ConfigurationChangeEvent) => unknown,
): vscode.Disposable {
    return vscode.workspace.onDidChangeConfiguration(handler);
}

export function isWorkspaceTrusted(): boolean {
    return vscode.workspace.isTrusted;
}

export function onDidGrantWorkspaceTrust(handler: () => unknown): vscode.Disposable {
    return vscode.workspace.onDidGrantWorkspaceTrust(handler);
}

export function getWorkspaceFolders(): readonly vscode.WorkspaceFolder[] {
    return vscode.workspace.workspaceFolders ?? [];
}

export function getWorkspaceFolder(uri: vscode.Uri): vscode.WorkspaceFolder | undefined {
    return vscode.workspace.getWorkspaceFolder(uri);
}

export function getActiveTextEditor(): vscode.TextEditor | undefined {
    return vscode.window.activeTextEditor;
}

export function onDidSaveTextDocument(
    handler: (document: vscode.TextDocument) => unknown,
): vscode.Disposable {
    return vscode.workspace.onDidSaveTextDocument(handler);
}

export function findFiles(
    include: vscode.GlobPattern,
    exclude?: vscode.GlobPattern | null,
    maxResults?: number,
): Thenable<vscode.Uri[]> {
    return vscode.workspace.findFiles(include, exclude, maxResults);
}

export function openTextDocument(
    target: vscode.Uri | { language?: string; content?: string },
): Thenable<vscode.TextDocument> {
    if (target instanceof vscode.Uri) {
        return vscode.workspace.openTextDocument(target);
    }
    return vscode.workspace.openTextDocument(target);
}

export function showTextDocument(
    document: vscode.TextDocument | vscode.Uri,
    options?: vscode.TextDocumentShowOptions,
): Thenable<vscode.TextEditor> {
    return vscode.window.showTextDocument(document as vscode.TextDocument, options);
}

export function applyEdit(edit: vscode.WorkspaceEdit): Thenable<boolean> {
    return vscode.workspace.applyEdit(edit);
}

export async function fileExists(uri: vscode.Uri): Promise<boolean> {
    try {
        await vscode.workspace.fs.stat(uri);
        return true;
    } catch {
        return false;
    }
}

export async function readFileText(uri: vscode.Uri): Promise<string> {
    const bytes = await vscode.workspace.fs.readFile(uri);
    return Buffer.from(bytes).toString('utf8');
}

export function writeFileText(uri: vscode.Uri, text: string): Thenable<void> {
    return vscode.workspace.fs.writeFile(uri, Buffer.from(text, 'utf8'));
}

export function registerTextDocumentContentProvider(
    scheme: string,
    provider: vscode.TextDocumentContentProvider,
): vscode.Disposable {
    return vscode.workspace.registerTextDocumentContentProvider(scheme, provider);
}

export function showInformationMessage(
    message: string,
    ...items: string[]
): Thenable<string | undefined> {
    return vscode.window.showInformationMessage(message, ...items);
}

export function showWarningMessage(
    message: string,
    ...items: string[]
): Thenable<string | undefined> {
    return vscode.window.showWarningMessage(message, ...items);
}

export function showModalWarning(
    message: string,
    detail: string,
    ...items: string[]
): Thenable<string | undefined> {
    return vscode.window.showWarningMessage(message, { modal: true, detail }, ...items);
}

export function showErrorMessage(
    message: string,
    ...items: string[]
): Thenable<string | undefined> {
    return vscode.window.showErrorMessage(message, ...items);
}

export function showQuickPick<T extends vscode.QuickPickItem>(
    items: readonly T[],
    options?: vscode.QuickPickOptions,
): Thenable<T | undefined> {
    return vscode.window.showQuickPick(items, options);
}

export function showInputBox(options: vscode.InputBoxOptions): Thenable<string | undefined> {
    return vscode.window.showInputBox(options);
}

export function showOpenDialog(
    options: vscode.OpenDialogOptions,
): Thenable<vscode.Uri[] | undefined> {
    return vscode.window.showOpenDialog(options);
}

export function withProgress<R>(
    options: vscode.ProgressOptions,
    task: (
        progress: vscode.Progress<{ message?: string; increment?: number }>,
        token: vscode.CancellationToken,
    ) => Thenable<R>,
): Thenable<R> {
    return vscode.window.withProgress(options, task);
}

export function createStatusBarItem(id: string, priority: number): vscode.StatusBarItem {
    return vscode.window.createStatusBarItem(id, vscode.StatusBarAlignment.Left, priority);
}

export function createOutputChannel(name: string): vscode.OutputChannel {
    return vscode.window.createOutputChannel(name);
}

export function createLogOutputChannel(name: string): vscode.LogOutputChannel {
    return vscode.window.createOutputChannel(name, { log: true });
}

export function createTerminal(options: vscode.TerminalOptions): vscode.Terminal {
    return vscode.window.createTerminal(options);
}

export function getExtension(id: string): vscode.Extension<unknown> | undefined {
    return vscode.extensions.getExtension(id);
}

export function startDebugging(
    folder: vscode.WorkspaceFolder | undefined,
    configuration: vscode.DebugConfiguration,
): Thenable<boolean> {
    return vscode.debug.startDebugging(folder, configuration);
}

export function openExternal(uri: vscode.Uri): Thenable<boolean> {
    return vscode.env.openExternal(uri);
}

export function asRelativePath(target: vscode.Uri | string): string {
    return vscode.workspace.asRelativePath(target);
}

export function themeColor(id: string): vscode.ThemeColor {
    return new vscode.ThemeColor(id);
}

export function stopDebugging(session?: vscode.DebugSession): Thenable<void> {
    return vscode.debug.stopDebugging(session);
}

export function onDidStartDebugSession(
    handler: (session: vscode.DebugSession) => unknown,
): vscode.Disposable {
    return vscode.debug.onDidStartDebugSession(handler);
}

export function onDidTerminateDebugSession(
    handler: (session: vscode.DebugSession) => unknown,
): vscode.Disposable {
    return vscode.debug.onDidTerminateDebugSession(handler);
}

export function registerDebugAdapterTrackerFactory(
    debugType: string,
    factory: vscode.DebugAdapterTrackerFactory,
): vscode.Disposable {
    return vscode.debug.registerDebugAdapterTrackerFactory(debugType, factory);
}

export function registerDebugConfigurationProvider(
    debugType: string,
    provider: vscode.DebugConfigurationProvider,
): vscode.Disposable {
    return vscode.debug.registerDebugConfigurationProvider(debugType, provider);
}

export function registerDebugAdapterDescriptorFactory(
    debugType: string,
    factory: vscode.DebugAdapterDescriptorFactory,
): vscode.Disposable {
    return vscode.debug.registerDebugAdapterDescriptorFactory(debugType, factory);
}
