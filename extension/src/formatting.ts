// Turns engine results into text for editors and messages. Pure, so the shapes are unit-tested.
import type {
    ExplainResult,
    Failure,
    InvokeFailure,
    InvokeResult,
    ReplicasResult,
} from './generated/contract';

function prettyBody(result: InvokeResult | InvokeFailure): string {
    if (result.json !== undefined) {
        return JSON.stringify(result.json, null, 2);
    }
    const body = result.body;
    try {
        return JSON.stringify(JSON.parse(body), null, 2);
    } catch {
        return body;
    }
}

/** The response of `amldebug.invoke` as a JSONC document: a comment header, then the body. */
export function formatTestResponse(
    result: InvokeResult | InvokeFailure,
    url: string,
    requestFile: string,
): string {
    const lines = [
        `// POST ${url} -> HTTP ${result.status} in ${Math.round(result.elapsedMs)} ms`,
        `// request body: ${requestFile}`,
    ];
    for (const [name, value] of Object.entries(result.headers)) {
        lines.push(`// ${name}: ${value}`);
    }
    lines.push('', prettyBody(result), '');
    return lines.join('\n');
}

/** The findings of `amldebug.explain` as Markdown. */
export function formatLogExplanation(result: ExplainResult): string {
    if (result.findings.length === 0) {
        return '# No known Azure ML failure found in this log\n\nNothing in it matches a known deployment failure. Look for the first `Traceback` or `Error` line.\n';
    }
    const sections = result.findings.map((finding) => {
        const lines = [`## ${finding.id}: ${finding.title}`];
        if (finding.explanation.trim()) {
            lines.push('', finding.explanation);
        }
        if (finding.fix.trim()) {
            lines.push('', `**What to do:** ${finding.fix}`);
        }
        if (finding.matched.trim()) {
            lines.push(
                '',
                `Matched (log line ${finding.line}):`,
                '',
                '```',
                finding.matched,
                '```',
            );
        }
        return lines.join('\n');
    });
    return `# What this log says\n\n${sections.join('\n\n')}\n`;
}

/** A one-line summary of `amldebug.replicas`. */
export function formatReplicaEstimate(result: ReplicasResult): string {
    return `Azure ML: about ${result.replicas} replica(s) needed (${result.formula}): ${result.arithmetic}.`;
}

/** "what failed: why. next step" from an `{ok: false}` result. */
export function failureMessage(what: string, result: Failure): string {
    const reason = result.error || 'unknown error';
    // The hint is a sentence of its own.
    const error = result.hint && !/[.!?:]$/.test(reason.trim()) ? `${reason.trim()}.` : reason;
    const hint = result.hint ? ` ${result.hint}` : '';
    return `Azure ML: ${what} failed: ${error}${hint}`;
}

export const SAMPLE_REQUEST = '{\n  "data": [[1.0, 2.0, 3.0, 4.0]]\n}\n';
