// Turns engine results into text for editors and messages. Pure, so the shapes are unit-tested.
import type { EngineResult } from './common/server';

function prettyBody(result: EngineResult): string {
    if (result.json !== undefined) {
        return JSON.stringify(result.json, null, 2);
    }
    const body = typeof result.body === 'string' ? result.body : '';
    try {
        return JSON.stringify(JSON.parse(body), null, 2);
    } catch {
        return body;
    }
}

/** The response of `amldebug.invoke` as a JSONC document: a comment header, then the body. */
export function formatTestResponse(result: EngineResult, url: string, requestFile: string): string {
    const status = typeof result.status === 'number' ? result.status : '?';
    const elapsed =
        typeof result.elapsedMs === 'number' ? `${Math.round(result.elapsedMs)} ms` : '? ms';
    const lines = [
        `// POST ${url} -> HTTP ${status} in ${elapsed}`,
        `// request body: ${requestFile}`,
    ];
    const headers = result.headers;
    if (headers && typeof headers === 'object') {
        for (const [name, value] of Object.entries(headers as Record<string, unknown>)) {
            lines.push(`// ${name}: ${String(value)}`);
        }
    }
    lines.push('', prettyBody(result), '');
    return lines.join('\n');
}

const pick = (finding: Record<string, unknown>, keys: string[]): string | undefined => {
    for (const key of keys) {
        const value = finding[key];
        if (typeof value === 'string' && value.trim() !== '') {
            return value;
        }
    }
    return undefined;
};

/** The findings of `amldebug.explain` as Markdown. */
export function formatLogExplanation(result: EngineResult): string {
    const findings = Array.isArray(result.findings) ? (result.findings as unknown[]) : [];
    if (findings.length === 0) {
        return '# No known Azure ML failure found in this log\n\nNothing in it matches a known deployment failure. Look for the first `Traceback` or `Error` line.\n';
    }
    const sections = findings.map((raw, index) => {
        const finding = (raw && typeof raw === 'object' ? raw : {}) as Record<string, unknown>;
        const code = pick(finding, ['code', 'id']);
        const title = pick(finding, ['title', 'summary', 'message']) ?? `Finding ${index + 1}`;
        const lines = [`## ${code ? `${code}: ` : ''}${title}`];
        const explanation = pick(finding, ['explanation', 'cause', 'detail', 'description']);
        if (explanation) {
            lines.push('', explanation);
        }
        const fix = pick(finding, ['fix', 'hint', 'nextStep', 'next_step', 'remedy']);
        if (fix) {
            lines.push('', `**What to do:** ${fix}`);
        }
        const evidence = pick(finding, ['evidence', 'excerpt', 'matched', 'match']);
        const line = typeof finding.line === 'number' ? ` (log line ${finding.line})` : '';
        if (evidence) {
            lines.push('', `Matched${line}:`, '', '```', evidence, '```');
        }
        return lines.join('\n');
    });
    return `# What this log says\n\n${sections.join('\n\n')}\n`;
}

/** A one-line summary of `amldebug.replicas`. */
export function formatReplicaEstimate(result: EngineResult): string {
    const replicas = result.replicas ?? result.value;
    const parts = [`Azure ML: about ${String(replicas)} replica(s) needed`];
    if (typeof result.formula === 'string') {
        parts.push(`(${result.formula})`);
    }
    if (typeof result.advice === 'string') {
        parts.push(`. ${result.advice}`);
    }
    return parts.join(' ');
}

/** "what failed: why. next step" from an `{ok: false}` result. */
export function failureMessage(what: string, result: EngineResult): string {
    const reason = result.error ?? 'unknown error';
    // The hint is a sentence of its own.
    const error = result.hint && !/[.!?:]$/.test(reason.trim()) ? `${reason.trim()}.` : reason;
    const hint = result.hint ? ` ${result.hint}` : '';
    return `Azure ML: ${what} failed: ${error}${hint}`;
}

export const SAMPLE_REQUEST = '{\n  "data": [[1.0, 2.0, 3.0, 4.0]]\n}\n';
