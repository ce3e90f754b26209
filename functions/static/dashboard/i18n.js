// Every visible string, in Korean and English. Views add theirs with registerStrings().

export const LANGUAGES = ["ko", "en"];
const LOCALES = { ko: "ko-KR", en: "en-GB" };
const dictionary = { ko: {}, en: {} };
let current = "en";

/** Add `strings` ({ko: {key: text}, en: {key: text}}); a key defined twice is an error. */
export function registerStrings(strings) {
  for (const language of LANGUAGES) {
    for (const [key, text] of Object.entries(strings[language] || {})) {
      if (key in dictionary[language]) throw new Error(`string '${key}' defined twice`);
      dictionary[language][key] = text;
    }
  }
}

export function setLanguage(language) {
  current = LANGUAGES.includes(language) ? language : "en";
  document.documentElement.lang = current;
}

export function language() {
  return current;
}

export function locale() {
  return LOCALES[current];
}

/** The text of `key` in the current language, `{name}` placeholders filled from `values`. */
export function t(key, values) {
  const text = dictionary[current][key] ?? dictionary.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (whole, name) => (values && name in values ? String(values[name]) : whole));
}

/** `t(key)` when the dictionary has it, else `fallback` (codes the API may add before the page learns them). */
export function tOr(key, fallback) {
  return key in dictionary[current] || key in dictionary.en ? t(key) : fallback;
}

// The shell's strings and the vocabulary every view shares (statuses, fault types, severities,
// kinds, method names): views use these keys rather than define their own.
registerStrings({
  en: {
    "app.title": "SEDA transformer gas diagnosis", // the server's <title> (functions/dashboard.py)
    "app.subtitle": "Dissolved-gas diagnosis of the fleet",
    "nav.label": "Views",
    "nav.fleet": "Fleet",
    "nav.scorecard": "Scorecard",
    "nav.unit": "Unit {name}",
    "nav.unit_unnamed": "Unit",
    "lang.label": "Language",
    "key.forget": "Forget API key",
    "embed.bar": "Dashboard views and language",
    "lang.ko": "한국어",
    "lang.en": "English",
    "value.none": "—",

    "state.loading": "Loading…",
    "state.retry": "Try again",
    "state.auth.title": "API key needed",
    "state.auth.message": "This API needs a key for reading. Enter the key your administrator gave you; it is kept in this browser tab only and forgotten when the tab closes.",
    "state.auth.refused": "The API refused this key. Check it and enter it again.",
    "state.auth.forgotten": "The API key was forgotten in this tab. Enter a key to go on.",
    "state.auth.label": "API key",
    "state.auth.submit": "Use this key",
    "state.forbidden.title": "Not allowed",
    "state.forbidden.message": "This API key may not read these data. Ask your administrator for a key with the read scope.",
    "state.unavailable.title": "Database unavailable",
    "state.unavailable.message": "The diagnosis database did not answer. Try again in a few minutes; if it persists, give your administrator the request id below.",
    "state.rate.title": "Too many requests",
    "state.rate.message": "This page asked the API more often than it allows. Try again in {seconds} s (at {time}).",
    "state.rate.message_unknown": "This page asked the API more often than it allows. Wait a minute and try again.",
    "state.network.title": "API not reachable",
    "state.network.message": "The page could not reach the API. Check the network connection and try again.",
    "state.request.title": "Request refused",
    "state.request.message": "The API refused the request: {message}",
    "state.not_found.title": "Not found",
    "state.request_id": "Request id",
    "state.page_missing.title": "Unknown page",
    "state.page_missing.message": "This address names no view of the dashboard. Open the fleet view.",

    "status.1": "Status 1",
    "status.2": "Status 2",
    "status.3": "Status 3",
    "status.1.long": "Status 1: normal",
    "status.2.long": "Status 2: watch",
    "status.3.long": "Status 3: fault likely",
    "status.unknown": "Status unknown",
    "status.no_verdict": "No sample yet",
    "fault.PD": "PD: partial discharges",
    "fault.D1": "D1: low-energy discharges",
    "fault.D2": "D2: high-energy discharges",
    "fault.DT": "DT: thermal and electrical faults",
    "fault.T1": "T1: thermal fault below 300 °C",
    "fault.T2": "T2: thermal fault 300–700 °C",
    "fault.T3": "T3: thermal fault above 700 °C",
    "fault.T": "T: thermal fault",
    "fault.D": "D: electrical discharges",
    "fault.S": "S: stray gassing",
    "fault.O": "O: overheating below 250 °C",
    "fault.C": "C: carbonisation of paper",
    "fault.T3-H": "T3-H: thermal fault in oil only",
    "fault.none": "No fault",
    "fault.unknown": "Fault not named",
    "fault.no_verdict": "No sample yet",
    "severity.none": "None",
    "severity.unknown": "Unknown",
    "severity.low": "Low",
    "severity.medium": "Medium",
    "severity.high": "High",
    "severity.critical": "Critical",
    "kind.power_transformer": "Power transformer",
    "kind.auto_transformer": "Autotransformer",
    "kind.shunt_reactor": "Shunt reactor",
    "kind.station_service_transformer": "Station service transformer",
    "kind.grounding_transformer": "Grounding transformer",
    "method.combined_verdict": "Combined verdict",
    "method.duval_triangle_1": "Duval Triangle 1",
    "method.duval_triangle_3": "Duval Triangle 3",
    "method.duval_triangle_4": "Duval Triangle 4",
    "method.duval_triangle_5": "Duval Triangle 5",
    "method.duval_pentagon_1": "Duval Pentagon 1",
    "method.duval_pentagon_2": "Duval Pentagon 2",
    "method.iec_60599_ratios": "IEC 60599 ratios",
    "method.rogers": "Rogers ratios",
    "method.doernenburg": "Doernenburg ratios",
    "method.ieee_c57_104_2008": "IEEE C57.104-2008",
    "method.ieee_c57_104_2019": "IEEE C57.104-2019",
    "method.ai_model": "Learned model",
  },
  ko: {
    "app.title": "SEDA 변압기 유중가스 진단",
    "app.subtitle": "설비 전체의 유중가스 분석 진단",
    "nav.label": "화면",
    "nav.fleet": "설비 목록",
    "nav.scorecard": "검증 성적표",
    "nav.unit": "설비 {name}",
    "nav.unit_unnamed": "설비",
    "lang.label": "언어",
    "key.forget": "API 키 지우기",
    "embed.bar": "대시보드 화면과 언어",
    "lang.ko": "한국어",
    "lang.en": "English",
    "value.none": "—",

    "state.loading": "불러오는 중…",
    "state.retry": "다시 시도",
    "state.auth.title": "API 키가 필요합니다",
    "state.auth.message": "이 API는 조회에도 키가 필요합니다. 관리자에게 받은 키를 입력하십시오. 키는 이 브라우저 탭에만 보관되며 탭을 닫으면 지워집니다.",
    "state.auth.refused": "API가 이 키를 거부했습니다. 키를 확인하고 다시 입력하십시오.",
    "state.auth.forgotten": "이 탭에서 API 키를 지웠습니다. 계속하려면 키를 입력하십시오.",
    "state.auth.label": "API 키",
    "state.auth.submit": "이 키 사용",
    "state.forbidden.title": "권한 없음",
    "state.forbidden.message": "이 API 키로는 이 자료를 조회할 수 없습니다. 관리자에게 조회(read) 권한이 있는 키를 요청하십시오.",
    "state.unavailable.title": "데이터베이스를 사용할 수 없습니다",
    "state.unavailable.message": "진단 데이터베이스가 응답하지 않았습니다. 몇 분 뒤 다시 시도하십시오. 계속되면 아래 요청 ID를 관리자에게 알려 주십시오.",
    "state.rate.title": "요청이 너무 많습니다",
    "state.rate.message": "이 페이지가 허용된 횟수보다 자주 API를 호출했습니다. {seconds}초 뒤({time})에 다시 시도하십시오.",
    "state.rate.message_unknown": "이 페이지가 허용된 횟수보다 자주 API를 호출했습니다. 1분 뒤 다시 시도하십시오.",
    "state.network.title": "API에 연결할 수 없습니다",
    "state.network.message": "페이지가 API에 연결하지 못했습니다. 네트워크 연결을 확인하고 다시 시도하십시오.",
    "state.request.title": "요청이 거부되었습니다",
    "state.request.message": "API가 요청을 거부했습니다: {message}",
    "state.not_found.title": "찾을 수 없습니다",
    "state.request_id": "요청 ID",
    "state.page_missing.title": "알 수 없는 화면",
    "state.page_missing.message": "이 주소에 해당하는 화면이 없습니다. 설비 목록을 여십시오.",

    "status.1": "상태 1",
    "status.2": "상태 2",
    "status.3": "상태 3",
    "status.1.long": "상태 1: 정상",
    "status.2.long": "상태 2: 주의",
    "status.3.long": "상태 3: 고장 가능성",
    "status.unknown": "상태 불명",
    "status.no_verdict": "시료 없음",
    "fault.PD": "PD: 부분 방전",
    "fault.D1": "D1: 저에너지 방전",
    "fault.D2": "D2: 고에너지 방전",
    "fault.DT": "DT: 열·전기 복합 고장",
    "fault.T1": "T1: 300 °C 미만 과열",
    "fault.T2": "T2: 300–700 °C 과열",
    "fault.T3": "T3: 700 °C 초과 과열",
    "fault.T": "T: 열적 고장",
    "fault.D": "D: 전기적 방전",
    "fault.S": "S: 이상 가스 발생(stray gassing)",
    "fault.O": "O: 250 °C 미만 과열",
    "fault.C": "C: 절연지 탄화",
    "fault.T3-H": "T3-H: 절연유만의 과열",
    "fault.none": "고장 없음",
    "fault.unknown": "고장 유형 미판정",
    "fault.no_verdict": "시료 없음",
    "severity.none": "없음",
    "severity.unknown": "불명",
    "severity.low": "낮음",
    "severity.medium": "보통",
    "severity.high": "높음",
    "severity.critical": "위급",
    "kind.power_transformer": "주변압기",
    "kind.auto_transformer": "단권변압기",
    "kind.shunt_reactor": "분로 리액터",
    "kind.station_service_transformer": "소내 변압기",
    "kind.grounding_transformer": "접지 변압기",
    "method.combined_verdict": "종합 판정",
    "method.duval_triangle_1": "듀발 삼각형 1",
    "method.duval_triangle_3": "듀발 삼각형 3",
    "method.duval_triangle_4": "듀발 삼각형 4",
    "method.duval_triangle_5": "듀발 삼각형 5",
    "method.duval_pentagon_1": "듀발 오각형 1",
    "method.duval_pentagon_2": "듀발 오각형 2",
    "method.iec_60599_ratios": "IEC 60599 비율법",
    "method.rogers": "로저스 비율법",
    "method.doernenburg": "되르넨부르크 비율법",
    "method.ieee_c57_104_2008": "IEEE C57.104-2008",
    "method.ieee_c57_104_2019": "IEEE C57.104-2019",
    "method.ai_model": "학습 모델",
  },
});
