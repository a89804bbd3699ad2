// The App's theme for charts: its CSS variables read at draw time (light and dark themes both work), and numbers in
// the user's locale.

export function themeColor(variable: string, fallback: string): string {
	if (typeof document === 'undefined') return fallback;
	const value = getComputedStyle(document.body).getPropertyValue(variable).trim();
	return value || fallback;
}

export function chartTheme() {
	return {
		primary: themeColor('--theme--primary', '#6644ff'),
		foreground: themeColor('--theme--foreground', '#4f5464'),
		subdued: themeColor('--theme--foreground-subdued', '#a2b5cd'),
		border: themeColor('--theme--border-color-subdued', '#f0f4f9'),
		background: themeColor('--theme--background', '#ffffff'),
		font: themeColor('--theme--fonts--sans--font-family', 'Inter, sans-serif'),
	};
}

/** The user's locale: the App sets <html lang> to the user's language (the browser's is only the fallback). */
const locale = () => (typeof document !== 'undefined' && document.documentElement?.lang) || undefined;
export const formatNumber = (n: number, digits = 0) => new Intl.NumberFormat(locale(), { maximumFractionDigits: digits }).format(n);
export const formatDateTime = (value: string | number | Date) => new Date(value).toLocaleString(locale());
export const formatPercent = (share: number) => new Intl.NumberFormat(locale(), { style: 'percent', maximumFractionDigits: 1 }).format(share);

/** Polyline points of a size series scaled into a 100 × 24 box (a table's sparkline). */
export function sparkline(values: number[]): string {
	const max = Math.max(...values, 1);
	return values.map((v, i) => `${(i / (values.length - 1)) * 100},${24 - (v / max) * 22 - 1}`).join(' ');
}
