package org.sieveml.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.awt.image.BufferedImage;
import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Issue 22: every case study's HTML report as a person sees it. Each study (one line of {@link #STUDIES})
 * runs on small data and writes its report; the report must be one well-formed document (a doctype, exactly
 * one {@code html}, {@code head} and {@code body}, nothing after {@code </html>}), and headless Chromium must
 * open it without a JavaScript error and draw every chart: in a screenshot, the box of every {@code svg},
 * {@code canvas} or {@code img} (read from the page with a small script injected into a copy of it) holds
 * enough pixels that differ from the page's white background, and every svg plot taller than 60 px has
 * axis labels (at least four texts, one of them a rotated y-axis title).
 *
 * <p>Chromium is the Debian package {@code chromium} ({@code .ci/run} installs it), found on the
 * {@code PATH} or named by the system property {@code sieveml.chromium}. Where it is absent the browser part
 * is skipped, saying so, unless the environment variable {@code CI} is {@code true}: then it fails.
 * {@code -Dsieveml.screenshots=DIR} keeps the screenshots there. A study
 * that needs real data ({@link Study#needs}) is skipped, saying so, where the data directory lacks it.
 */
class ReportsInBrowserTest {

  private static final PrintStream QUIET = new PrintStream(OutputStream.nullOutputStream());

  /** Runs a study, writing its HTML report to the given file. */
  @FunctionalInterface
  interface ReportWriter {
    void write(Path dataDir, Path report) throws Exception;
  }

  /**
   * One study in the table.
   *
   * @param name shown in the test's name and messages
   * @param needs a file or directory under the data directory the study reads, or null for seeded data
   * @param writer runs the study on small data
   */
  record Study(String name, String needs, ReportWriter writer) {
    static Study seeded(String name, ReportWriter writer) {
      return new Study(name, null, writer);
    }

    static Study real(String name, String needs, ReportWriter writer) {
      return new Study(name, needs, writer);
    }

    @Override
    public String toString() {
      return name;
    }
  }

  /** Every study's report: a new study is one line here. */
  static final List<Study> STUDIES = List.of(
      Study.seeded("recommendation", (d, r) -> RecommendationStudy.run(RecData.seeded(500, 500, 8, 25, 3), 3, QUIET, r)),
      Study.seeded("ad click", (d, r) -> AdClickStudy.run(AdData.seeded(60_000, 3), 3, QUIET, r)),
      Study.seeded("fraud", (d, r) -> FraudStudy.run(FraudData.seeded(4000, 5), 5, QUIET, r)),
      Study.seeded("eta", (d, r) -> EtaStudy.run(EtaData.seeded(30_000, 9), 9, QUIET, r)),
      Study.seeded("search", (d, r) -> SearchStudy.run(2000, 100, 11, QUIET, r)),
      Study.seeded("auto-suggest", (d, r) -> AutoSuggestStudy.run(AutoSuggestData.seeded(300, 8, 120, 28, 4), 4, QUIET,
          r)),
      Study.seeded("visual search", (d, r) -> VisualSearchStudy.run(VisualData.synthetic(800, 6),
          VisualSearchStudyTest.config(6), QUIET, r)),
      Study.real("recommendation on MovieLens 100k", "movielens-100k/u.data",
          (d, r) -> RecommendationStudy.run(RecData.movieLens(d.resolve("movielens-100k")), 42, QUIET, r)));

  static Stream<Study> studies() {
    return STUDIES.stream();
  }

  @TempDir
  Path tmp;

  @ParameterizedTest(name = "{0}")
  @MethodSource("studies")
  void reportIsOneDocumentAndEveryChartIsDrawn(Study study) throws Exception {
    Path dataDir = Path.of(System.getProperty("sieveml.data.dir", "../shared/data"));
    if (study.needs() != null) {
      Assumptions.assumeTrue(Files.exists(dataDir.resolve(study.needs())),
          study.name() + ": skipped, " + dataDir.resolve(study.needs()) + " not found (real data lives in ../shared/data)");
    }
    Path report = tmp.resolve(study.name().replaceAll("[^A-Za-z0-9]+", "-") + ".html");
    study.writer().write(dataDir, report);
    String html = Files.readString(report, StandardCharsets.UTF_8);
    assertOneDocument(study.name(), html);

    String browser = chromium();
    if (browser == null) {
      String why = "headless Chromium not found (Debian package chromium; or -Dsieveml.chromium=PATH)";
      if ("true".equalsIgnoreCase(System.getenv("CI"))) {
        fail(why + ": CI=true requires it, .ci/run installs it");
      }
      Assumptions.abort(study.name() + ": browser check skipped, " + why);
    }
    Page page = open(browser, study.name(), html);
    assertTrue(page.errors().isEmpty(), study.name() + ": JavaScript errors in the report: " + page.errors());
    assertTrue(!page.charts().isEmpty(), study.name() + ": the report has no chart (svg, canvas or img)");
    for (int i = 0; i < page.charts().size(); i++) {
      int[] b = page.charts().get(i);
      String where = study.name() + ": chart " + (i + 1) + " of " + page.charts().size() + " at " + b[0] + "," + b[1]
          + " size " + b[2] + "x" + b[3];
      assertTrue(b[2] >= 8 && b[3] >= 8, where + " is not laid out at a visible size");
      if (b[4] == 1 && b[3] >= 60) { // a plot, not an inline bar: ticks and a title on each axis
        assertTrue(b[5] >= 4 && b[6] >= 1, where + ": an svg plot needs axis labels (" + b[5] + " texts, " + b[6]
            + " rotated y-axis title)");
      }
      long[] ink = ink(page.screenshot(), b);
      double share = ink[0] / (double) ink[1];
      assertTrue(ink[0] >= 150 && share >= 0.003, where + ": only " + ink[0] + " of " + ink[1]
          + " pixels differ from the background: nothing drawn");
    }
  }

  // ---- the document's shape

  private static final Pattern TAG = Pattern.compile("<(/?)(html|head|body)(?=[\\s>/])", Pattern.CASE_INSENSITIVE);

  static void assertOneDocument(String name, String html) {
    assertTrue(html.stripLeading().toLowerCase(Locale.ROOT).startsWith("<!doctype html>"),
        name + ": the report starts with <!doctype html>");
    // scripts and styles may hold anything; the structure outside them counts
    String markup = html.replaceAll("(?is)<script\\b.*?</script>|<style\\b.*?</style>|<!--.*?-->", "");
    List<String> order = new ArrayList<>();
    Matcher m = TAG.matcher(markup);
    while (m.find()) {
      order.add(m.group(1) + m.group(2).toLowerCase(Locale.ROOT));
    }
    assertEquals(List.of("html", "head", "/head", "body", "/body", "/html"), order,
        name + ": html, head and body once each, in order (a page inside the page has a second <html>)");
    String tail = markup.substring(markup.toLowerCase(Locale.ROOT).lastIndexOf("</html>") + "</html>".length());
    assertTrue(tail.isBlank(), name + ": nothing after </html>, found '" + tail.strip() + "'");
  }

  // ---- the browser

  static String chromium() {
    String named = System.getProperty("sieveml.chromium");
    if (named != null && !named.isBlank()) {
      return Files.isExecutable(Path.of(named)) ? named : null;
    }
    String path = System.getenv("PATH");
    if (path == null) {
      return null;
    }
    for (String dir : path.split(File.pathSeparator)) {
      for (String exe : new String[] {"chromium", "chromium-browser", "google-chrome"}) {
        Path p = Path.of(dir, exe);
        if (Files.isExecutable(p)) {
          return p.toString();
        }
      }
    }
    return null;
  }

  /**
   * The page as rendered.
   *
   * @param charts every chart's box in page pixels: left, top, width, height
   * @param errors JavaScript errors and console.error messages
   * @param screenshot the whole page
   */
  record Page(List<int[]> charts, List<String> errors, BufferedImage screenshot) {}

  /** Collects errors from the first moment on (first in head). */
  private static final String PROBE_HEAD = "<script>window.__sievemlErrors=[];"
      + "addEventListener('error',function(e){__sievemlErrors.push(String(e.message))});"
      + "addEventListener('unhandledrejection',function(e){__sievemlErrors.push('unhandled rejection: '+e.reason)});"
      + "(function(){var f=console.error;console.error=function(){"
      + "__sievemlErrors.push('console.error: '+Array.prototype.join.call(arguments,' '));f.apply(console,arguments)}})();"
      + "</script>";

  /** Writes the charts' boxes, the page's size and the errors into attributes of the root element (last in body). */
  private static final String PROBE_BODY = "<script>(function(){var d=document.documentElement,r=[];"
      + "document.querySelectorAll('svg,canvas,img').forEach(function(e){"
      + "if(e.parentElement&&e.parentElement.closest('svg'))return;"
      + "var b=e.getBoundingClientRect();r.push([Math.round(b.left+scrollX),Math.round(b.top+scrollY),"
      + "Math.round(b.width),Math.round(b.height),e.tagName.toLowerCase()==='svg'?1:0,"
      + "e.querySelectorAll('text').length,e.querySelectorAll('text[transform*=rotate]').length].join(','))});"
      + "d.setAttribute('data-sieveml-charts',r.join(';'));"
      + "d.setAttribute('data-sieveml-size',Math.ceil(d.scrollWidth)+','+Math.ceil(Math.max(d.scrollHeight,"
      + "document.body.scrollHeight)));"
      + "d.setAttribute('data-sieveml-errors',JSON.stringify(__sievemlErrors));})();</script>";

  private static final int WIDTH = 1280;

  Page open(String browser, String name, String html) throws Exception {
    // the copy that is opened: the report with the two probes (they only set attributes: no layout change)
    int head = indexOfTag(html, "<head");
    int headEnd = html.indexOf('>', head) + 1;
    int bodyClose = html.toLowerCase(Locale.ROOT).lastIndexOf("</body>");
    String probed = html.substring(0, headEnd) + PROBE_HEAD + html.substring(headEnd, bodyClose) + PROBE_BODY
        + html.substring(bodyClose);
    Path copy = tmp.resolve("probed-" + name.replaceAll("[^A-Za-z0-9]+", "-") + ".html");
    Files.writeString(copy, probed, StandardCharsets.UTF_8);
    int height = 2000;
    for (int attempt = 0; ; attempt++) {
      Path png = tmp.resolve("shot-" + attempt + "-" + copy.getFileName() + ".png");
      Browser b = run(browser, copy, png, height);
      String dom = b.dom();
      int[] size = ints(attribute(dom, "data-sieveml-size", name), ",");
      if (size[1] > height && attempt == 0) {
        height = Math.min(size[1] + 10, 30_000);
        continue; // again with a window as tall as the page, so the screenshot holds all of it
      }
      List<int[]> charts = new ArrayList<>();
      String boxes = attribute(dom, "data-sieveml-charts", name);
      if (!boxes.isEmpty()) {
        for (String box : boxes.split(";")) {
          charts.add(ints(box, ","));
        }
      }
      List<String> errors = new ArrayList<>();
      String js = attribute(dom, "data-sieveml-errors", name).replace("&quot;", "\"").replace("&amp;", "&");
      if (!js.equals("[]")) {
        errors.add(js);
      }
      for (String line : b.log().split("\n")) {
        if (line.contains(":CONSOLE") && (line.contains("Uncaught") || line.contains("Error"))) {
          errors.add(line.strip());
        }
      }
      String keep = System.getProperty("sieveml.screenshots");
      if (keep != null && !keep.isBlank()) { // to look at them: -Dsieveml.screenshots=DIR
        Files.createDirectories(Path.of(keep));
        Files.copy(png, Path.of(keep, copy.getFileName().toString().replace(".html", ".png")),
            java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      }
      BufferedImage shot = ImageIO.read(png.toFile());
      assertTrue(shot != null, name + ": Chromium wrote no screenshot; its log:\n" + b.log());
      return new Page(charts, errors, shot);
    }
  }

  private record Browser(String dom, String log) {}

  private Browser run(String browser, Path page, Path png, int height) throws Exception {
    Path profile = Files.createTempDirectory(tmp, "chromium-profile");
    Path out = tmp.resolve(png.getFileName() + ".dom");
    Path err = tmp.resolve(png.getFileName() + ".log");
    Process p = new ProcessBuilder(browser, "--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
        "--force-device-scale-factor=1", "--no-first-run", "--disable-extensions", "--user-data-dir=" + profile,
        "--window-size=" + WIDTH + "," + height, "--enable-logging=stderr", "--v=0",
        "--screenshot=" + png, "--dump-dom", page.toUri().toString())
        .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    if (!p.waitFor(120, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      fail("Chromium did not finish in 120 s on " + page + "; its log:\n" + Files.readString(err));
    }
    String log = Files.readString(err, StandardCharsets.UTF_8);
    assertEquals(0, p.exitValue(), "Chromium's exit status on " + page + "; its log:\n" + log);
    return new Browser(Files.readString(out, StandardCharsets.UTF_8), log);
  }

  private static int indexOfTag(String html, String tag) {
    Matcher m = Pattern.compile(Pattern.quote(tag) + "(?=[\\s>])", Pattern.CASE_INSENSITIVE).matcher(html);
    assertTrue(m.find(), "no " + tag + " in the report");
    return m.start();
  }

  private static String attribute(String dom, String attr, String name) {
    Matcher m = Pattern.compile(attr + "=\"([^\"]*)\"").matcher(dom);
    assertTrue(m.find(), name + ": the probe did not run (no " + attr + " in the DOM Chromium dumped):\n"
        + dom.substring(0, Math.min(2000, dom.length())));
    return m.group(1);
  }

  private static int[] ints(String s, String sep) {
    String[] f = s.split(sep);
    int[] out = new int[f.length];
    for (int i = 0; i < f.length; i++) {
      out[i] = Integer.parseInt(f[i].trim());
    }
    return out;
  }

  /** Pixels in the box that are not near-white (the pages' background), and the box's pixels on the image. */
  static long[] ink(BufferedImage img, int[] box) {
    int x0 = Math.max(0, box[0]);
    int y0 = Math.max(0, box[1]);
    int x1 = Math.min(img.getWidth(), box[0] + box[2]);
    int y1 = Math.min(img.getHeight(), box[1] + box[3]);
    long ink = 0;
    long all = 0;
    for (int y = y0; y < y1; y++) {
      for (int x = x0; x < x1; x++) {
        int rgb = img.getRGB(x, y);
        int r = (rgb >> 16) & 0xff;
        int g = (rgb >> 8) & 0xff;
        int b = rgb & 0xff;
        all++;
        if (r < 235 || g < 235 || b < 235) {
          ink++;
        }
      }
    }
    assertTrue(all > 0, "the box " + java.util.Arrays.toString(box) + " lies outside the " + img.getWidth() + "x"
        + img.getHeight() + " screenshot");
    return new long[] {ink, all};
  }
}
