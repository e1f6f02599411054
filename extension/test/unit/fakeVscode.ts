// A stand-in for the `vscode` module under plain Node: the value classes the extension constructs
// (Uri, Range, WorkspaceEdit, ...) with just enough behaviour for the tests. API functions are not
// here on purpose: the extension reaches them only through common/vscodeapi, which tests stub.
import * as path from 'path';

export class Uri {
    private constructor(
        readonly scheme: string,
        readonly path: string,
        readonly query = '',
    ) {}

    static file(fsPath: string): Uri {
        return new Uri('file', path.resolve(fsPath));
    }

    static from(parts: { scheme: string; path: string; query?: string }): Uri {
        return new Uri(parts.scheme, parts.path, parts.query ?? '');
    }

    static joinPath(base: Uri, ...segments: string[]): Uri {
        return new Uri(base.scheme, path.posix.join(base.path, ...segments));
    }

    get fsPath(): string {
        return this.path;
    }

    toString(): string {
        return `${this.scheme}://${this.path}`;
    }
}

export class Position {
    constructor(
        readonly line: number,
        readonly character: number,
    ) {}
}

export class Range {
    constructor(
        readonly start: Position,
        readonly end: Position,
    ) {}
}

export type EditOperation =
    | { kind: 'replace'; uri: Uri; range: Range; text: string }
    | { kind: 'insert'; uri: Uri; position: Position; text: string }
    | { kind: 'createFile'; uri: Uri };

export class WorkspaceEdit {
    readonly operations: EditOperation[] = [];

    replace(uri: Uri, range: Range, text: string): void {
        this.operations.push({ kind: 'replace', uri, range, text });
    }

    insert(uri: Uri, position: Position, text: string): void {
        this.operations.push({ kind: 'insert', uri, position, text });
    }

    createFile(uri: Uri): void {
        this.operations.push({ kind: 'createFile', uri });
    }
}

export class EventEmitter<T> {
    private listeners: ((value: T) => void)[] = [];
    readonly event = (listener: (value: T) => void) => {
        this.listeners.push(listener);
        return { dispose: () => undefined };
    };

    fire(value: T): void {
        this.listeners.forEach((listener) => listener(value));
    }

    dispose(): void {
        this.listeners = [];
    }
}

export class ThemeColor {
    constructor(readonly id: string) {}
}

export class RelativePattern {
    constructor(
        readonly base: unknown,
        readonly pattern: string,
    ) {}
}

export class Disposable {
    constructor(private readonly callOnDispose: () => void) {}

    static from(...items: { dispose(): unknown }[]): Disposable {
        return new Disposable(() => items.forEach((item) => item.dispose()));
    }

    dispose(): void {
        this.callOnDispose();
    }
}

export enum StatusBarAlignment {
    Left = 1,
    Right = 2,
}

export enum ProgressLocation {
    SourceControl = 1,
    Window = 10,
    Notification = 15,
}

export enum ViewColumn {
    Active = -1,
    Beside = -2,
    One = 1,
}

const notStubbed = (name: string) => () => {
    throw new Error(`vscode.${name} called directly: go through common/vscodeapi`);
};

export const window = new Proxy({}, { get: (_t, key) => notStubbed(`window.${String(key)}`) });
export const workspace = new Proxy(
    {},
    { get: (_t, key) => notStubbed(`workspace.${String(key)}`) },
);
export const commands = new Proxy({}, { get: (_t, key) => notStubbed(`commands.${String(key)}`) });
export const extensions = new Proxy(
    {},
    { get: (_t, key) => notStubbed(`extensions.${String(key)}`) },
);
export const debug = new Proxy({}, { get: (_t, key) => notStubbed(`debug.${String(key)}`) });
export const env = new Proxy({}, { get: (_t, key) => notStubbed(`env.${String(key)}`) });
export const languages = new Proxy(
    {},
    { get: (_t, key) => notStubbed(`languages.${String(key)}`) },
);
export const version = '1.100.0';

export class DebugAdapterServer {
    constructor(
        public readonly port: number,
        public readonly host?: string,
    ) {}
}
