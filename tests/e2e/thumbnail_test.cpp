// End to end: thumbnails from a real `shot serve` — the synchronous GET, jobs
// from an image URL, a raw body or a multipart upload, the seed routes, the
// signed webhook and the e-mail with the thumbnail attached (SMTP sink).
#include <gtest/gtest.h>

#include <fstream>
#include <memory>
#include <thread>

#include "core/base64.hpp"
#include "core/digest.hpp"
#include "e2e/serve_process.hpp"
#include "http/access.hpp"
#include "image/image.hpp"
#include "image/test_images.hpp"
#include "support/page_server.hpp"
#include "support/png_reader.hpp"
#include "support/smtp_sink.hpp"
#include "support/temp_dir.hpp"

namespace shot::testing {
namespace {

namespace img = image::testing;

constexpr int kMaxImageBytes = 200'000;

Response image_response(std::string bytes, std::string type = "image/png") {
  return Response{.content_type = std::move(type), .body = std::move(bytes)};
}

std::string magic(const std::string& bytes, std::size_t n) {
  return bytes.substr(0, n);
}

// One server for the suite: Chromium starts once.
class ThumbnailTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    pages_ = new PageServer("127.0.0.1");
    sink_ = new SmtpSink();
    hooks_ = new PageServer("127.0.0.1");
    hooks_->route("/hook", [](const Request&) { return Response{.body = "ok"}; });
    photo_ = img::two_halves(400, 200, img::kRed, img::kBlue);
    pages_->route("/photo.png", [](const Request&) { return image_response(photo_); });
    pages_->route("/photo.jpg", [](const Request&) {
      return image_response(img::gradient(640, 480, "jpeg"), "image/jpeg");
    });
    pages_->route("/salient.png", [](const Request&) {
      return image_response(img::salient_square(400, 200, 320, 70, 60));
    });
    pages_->route("/bomb.png",
                  [](const Request&) { return image_response(img::forged_png(20000, 20000)); });
    pages_->route("/notes.txt", [](const Request&) {
      return Response{.content_type = "image/png", .body = "just some text, not a picture\n"};
    });
    pages_->route("/huge.png", [](const Request&) {
      return image_response(std::string(3 * kMaxImageBytes, 'x'));
    });
    pages_->page("/red", solid_page("#ff0000"));
    pages_->route("/moved", [](const Request&) {
      return Response{.status = 302, .headers = {{"Location", "/photo.png"}}};
    });
    shot_ = new ServeProcess({"--allow-host", "127.0.0.1:" + std::to_string(pages_->port()),
                              "--allow-host", "127.0.0.1:" + std::to_string(hooks_->port()),
                              "--tabs", "1", "--max-image-bytes", std::to_string(kMaxImageBytes),
                              "--smtp", sink_->url(), "--smtp-from", "thumbs@shot.test",
                              "--webhook-secret", "s3cret"});
    started_ = shot_->start();
  }
  static void TearDownTestSuite() {
    delete shot_;
    delete hooks_;
    delete sink_;
    delete pages_;
  }
  void SetUp() override { ASSERT_TRUE(started_); }

  static std::string url(const std::string& path) { return pages_->url(path); }
  static HttpResult thumb(const std::string& query) { return shot_->get("/v1/thumbnail?" + query); }

  static inline PageServer* pages_ = nullptr;
  static inline PageServer* hooks_ = nullptr;
  static inline SmtpSink* sink_ = nullptr;
  static inline ServeProcess* shot_ = nullptr;
  static inline bool started_ = false;
  static inline std::string photo_;
};

TEST_F(ThumbnailTest, EachFitGivesItsSize) {
  struct Case {
    std::string fit;
    int width, height;
  };
  // The photo is 400x200; the box 100x100.
  for (auto& c : {Case{"contain", 100, 100}, Case{"cover", 100, 100}, Case{"fill", 100, 100},
                  Case{"inside", 100, 50}}) {
    auto r = thumb("url=" + url("/photo.png") + "&width=100&height=100&format=png&fit=" + c.fit);
    ASSERT_EQ(r.status, 200) << c.fit << ": " << r.body;
    EXPECT_EQ(r.content_type, "image/png");
    auto p = decode_picture(r.body);
    ASSERT_TRUE(p) << c.fit;
    EXPECT_EQ(p->width, c.width) << c.fit;
    EXPECT_EQ(p->height, c.height) << c.fit;
  }
  // contain pads (transparent in PNG) above and below the 100x50 picture;
  // fill stretches the red half over the left half of the box.
  auto contain = decode_picture(
      thumb("url=" + url("/photo.png") + "&width=100&height=100&fit=contain&format=png").body);
  ASSERT_TRUE(contain);
  EXPECT_EQ(contain->at(50, 5)[3], 0);
  EXPECT_TRUE(near(contain->at(10, 50), 255, 0, 0, 24));
  auto fill = decode_picture(
      thumb("url=" + url("/photo.png") + "&width=100&height=100&fit=fill&format=png").body);
  ASSERT_TRUE(fill);
  EXPECT_TRUE(near(fill->at(10, 90), 255, 0, 0, 24));
  EXPECT_TRUE(near(fill->at(90, 10), 0, 0, 255, 24));
  // Only a width: the height follows the aspect.
  auto one_side = decode_picture(thumb("url=" + url("/photo.png") + "&width=50&format=png").body);
  ASSERT_TRUE(one_side);
  EXPECT_EQ(one_side->width, 50);
  EXPECT_EQ(one_side->height, 25);
}

TEST_F(ThumbnailTest, ARevalidationWithTheETagGets304) {
  std::string query = "/v1/thumbnail?url=" + url("/photo.png") + "&width=40&format=png";
  auto first = shot_->get(query);
  ASSERT_EQ(first.status, 200) << first.body;
  auto etag = first.header("etag");
  ASSERT_FALSE(etag.empty());
  auto again = shot_->get(query, {{"If-None-Match", etag}});
  EXPECT_EQ(again.status, 304);
  EXPECT_EQ(again.header("etag"), etag);
  EXPECT_TRUE(again.body.empty());
  EXPECT_EQ(shot_->get(query, {{"If-None-Match", "\"other\""}}).status, 200);
}

TEST_F(ThumbnailTest, EachFormatHasItsMagicBytes) {
  auto get = [](const std::string& format) {
    return thumb("url=" + url("/photo.jpg") + "&width=64&height=64&format=" + format);
  };
  auto jpeg = get("jpeg");
  ASSERT_EQ(jpeg.status, 200) << jpeg.body;
  EXPECT_EQ(jpeg.content_type, "image/jpeg");
  EXPECT_EQ(magic(jpeg.body, 3), "\xFF\xD8\xFF");
  auto png = get("png");
  ASSERT_EQ(png.status, 200);
  EXPECT_EQ(png.content_type, "image/png");
  EXPECT_EQ(magic(png.body, 8), "\x89PNG\r\n\x1a\n");
  auto webp = get("webp");
  ASSERT_EQ(webp.status, 200);
  EXPECT_EQ(webp.content_type, "image/webp");
  EXPECT_EQ(magic(webp.body, 4), "RIFF");
  EXPECT_EQ(webp.body.substr(8, 4), "WEBP");
  auto avif = get("avif");
  if (image::can_encode(image::Format::avif)) {
    ASSERT_EQ(avif.status, 200) << avif.body;
    EXPECT_EQ(avif.content_type, "image/avif");
    EXPECT_EQ(avif.body.substr(4, 8), "ftypavif");
  } else {
    EXPECT_EQ(avif.status, 400) << avif.body;
    EXPECT_EQ(json_string(avif.json(), "field"), "format");
  }
  // The sizes come out right whatever the format.
  for (auto* r : {&jpeg, &png, &webp}) {
    auto p = decode_picture(r->body);
    ASSERT_TRUE(p);
    EXPECT_EQ(p->width, 64);
    EXPECT_EQ(p->height, 64);
  }
}

TEST_F(ThumbnailTest, CoverKeepsTheSalientRegion) {
  // A red square near the right edge of grey noise: a centre crop would lose it.
  auto r = thumb("url=" + url("/salient.png") + "&width=100&height=100&fit=cover&format=png");
  ASSERT_EQ(r.status, 200) << r.body;
  // Scaled by 0.5, the 60 px square is 30x30 = 900 px; most of it must remain.
  EXPECT_GT(img::count_red(r.body), 700);
}

TEST_F(ThumbnailTest, PixelBombIsRefusedFromItsHeader) {
  // 20,000 x 20,000 claimed in a 1x1 PNG's header: refused before any decode.
  auto r = thumb("url=" + url("/bomb.png") + "&width=100");
  EXPECT_EQ(r.status, 413) << r.body;
  EXPECT_EQ(r.content_type, "application/problem+json");
  EXPECT_NE(std::string(json_string(r.json(), "detail")).find("20000x20000"), std::string::npos)
      << r.body;
  auto upload = shot_->post("/v1/thumbnails?width=100", img::forged_png(20000, 20000),
                            {{"Content-Type", "image/png"}});
  EXPECT_EQ(upload.status, 413) << upload.body;
  EXPECT_EQ(json_string(upload.json(), "field"), "file");
}

TEST_F(ThumbnailTest, TextIsUnsupportedMedia) {
  auto r = thumb("url=" + url("/notes.txt") + "&width=100");
  EXPECT_EQ(r.status, 415) << r.body;
  EXPECT_EQ(r.content_type, "application/problem+json");
  // Named image/png, still text: the bytes decide.
  auto raw = shot_->post("/v1/thumbnails?width=100", "hello, I am text\n",
                         {{"Content-Type", "image/png"}});
  EXPECT_EQ(raw.status, 415) << raw.body;
  EXPECT_EQ(json_string(raw.json(), "field"), "file");
  std::string form =
      "--XyZ\r\nContent-Disposition: form-data; name=\"width\"\r\n\r\n100\r\n"
      "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.png\"\r\n"
      "Content-Type: image/png\r\n\r\nnot an image\r\n--XyZ--\r\n";
  auto multipart =
      shot_->post("/v1/thumbnails", form, {{"Content-Type", "multipart/form-data; boundary=XyZ"}});
  EXPECT_EQ(multipart.status, 415) << multipart.body;
  // From a URL the job is accepted, and its item fails saying why.
  auto created =
      shot_->post("/v1/thumbnails", R"({"image_url":")" + url("/notes.txt") + R"(","width":100})");
  ASSERT_EQ(created.status, 202) << created.body;
  auto job = shot_->wait_job(std::string(json_string(created.json(), "id")));
  EXPECT_EQ(json_string(job, "state"), "failed") << json::serialize(job);
  auto& item = job.at("items").as_array()[0].as_object();
  EXPECT_EQ(json_string(*json_object(item, "error"), "code"), "unsupported_media");
}

TEST_F(ThumbnailTest, OversizedDownloadIsCutOff) {
  auto r = thumb("url=" + url("/huge.png") + "&width=100");
  EXPECT_EQ(r.status, 413) << r.body;
  std::string detail(json_string(r.json(), "detail"));
  EXPECT_NE(detail.find("larger than " + std::to_string(kMaxImageBytes) + " bytes"),
            std::string::npos)
      << detail;
  EXPECT_NE(detail.find("cut off"), std::string::npos) << detail;
  EXPECT_EQ(json_string(r.json(), "field"), "url");
  auto created =
      shot_->post("/v1/thumbnails", R"({"image_url":")" + url("/huge.png") + R"(","width":100})");
  ASSERT_EQ(created.status, 202) << created.body;
  auto job = shot_->wait_job(std::string(json_string(created.json(), "id")));
  auto& item = job.at("items").as_array()[0].as_object();
  EXPECT_EQ(json_string(*json_object(item, "error"), "code"), "too_large");
  // An upload over the limit is refused at once.
  auto upload = shot_->post("/v1/thumbnails?width=10", std::string(kMaxImageBytes + 10, 'x'),
                            {{"Content-Type", "image/png"}});
  EXPECT_EQ(upload.status, 413) << upload.body;
}

TEST_F(ThumbnailTest, JobFromAnImageUrl) {
  auto created = shot_->post("/v1/thumbnails", R"({"image_url":")" + url("/moved") +
                                                   R"(","width":120,"height":80,"fit":"cover",)"
                                                   R"("format":"webp","quality":70})");
  ASSERT_EQ(created.status, 202) << created.body;
  std::string id(json_string(created.json(), "id"));
  EXPECT_EQ(json_string(created.json(), "status_url"), "/v1/jobs/" + id);
  auto job = shot_->wait_job(id);
  ASSERT_EQ(json_string(job, "state"), "succeeded") << json::serialize(job);
  EXPECT_EQ(json_string(job, "kind"), "thumbnail");
  auto& item = job.at("items").as_array()[0].as_object();
  EXPECT_EQ(json_int(item, "width"), 120);
  EXPECT_EQ(json_int(item, "height"), 80);
  EXPECT_EQ(json_string(item, "content_type"), "image/webp");
  auto pic = shot_->get(std::string(json_string(item, "result_url")));
  ASSERT_EQ(pic.status, 200);
  EXPECT_EQ(pic.content_type, "image/webp");
  EXPECT_EQ(sha256_hex(pic.body), json_string(item, "sha256"));
  auto p = decode_picture(pic.body);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->width, 120);
  EXPECT_EQ(p->height, 80);
}

TEST_F(ThumbnailTest, JobsFromARawBodyAndAMultipartUpload) {
  auto raw = shot_->post("/v1/thumbnails?width=40&height=40&fit=fill&format=png", photo_,
                         {{"Content-Type", "image/png"}});
  ASSERT_EQ(raw.status, 202) << raw.body;
  std::string form =
      "--b0undary\r\nContent-Disposition: form-data; name=\"width\"\r\n\r\n30\r\n"
      "--b0undary\r\nContent-Disposition: form-data; name=\"format\"\r\n\r\njpeg\r\n"
      "--b0undary\r\nContent-Disposition: form-data; name=\"file\"; filename=\"p.png\"\r\n"
      "Content-Type: application/octet-stream\r\n\r\n" +
      photo_ + "\r\n--b0undary--\r\n";
  auto multipart = shot_->post("/v1/thumbnails", form,
                               {{"Content-Type", "multipart/form-data; boundary=\"b0undary\""}});
  ASSERT_EQ(multipart.status, 202) << multipart.body;
  struct Want {
    HttpResult* created;
    int width, height;
    std::string type;
  };
  for (auto& w : {Want{&raw, 40, 40, "image/png"}, Want{&multipart, 30, 15, "image/jpeg"}}) {
    auto job = shot_->wait_job(std::string(json_string(w.created->json(), "id")));
    ASSERT_EQ(json_string(job, "state"), "succeeded") << json::serialize(job);
    auto& item = job.at("items").as_array()[0].as_object();
    auto pic = shot_->get(std::string(json_string(item, "result_url")));
    ASSERT_EQ(pic.status, 200);
    EXPECT_EQ(pic.content_type, w.type);
    auto p = decode_picture(pic.body);
    ASSERT_TRUE(p);
    EXPECT_EQ(p->width, w.width);
    EXPECT_EQ(p->height, w.height);
  }
}

TEST_F(ThumbnailTest, BadRequestsNameTheField) {
  struct Case {
    std::string body, field;
  };
  std::string u = url("/photo.png");
  for (auto& c : {
           Case{R"({"image_url":")" + u + R"(","width":-1})", "width"},
           Case{R"({"image_url":")" + u + R"(","width":99999})", "width"},
           Case{R"({"image_url":")" + u + R"("})", "width"},
           Case{R"({"image_url":")" + u + R"(","width":10,"fit":"squash"})", "fit"},
           Case{R"({"image_url":")" + u + R"(","width":10,"format":"gif"})", "format"},
           Case{R"({"image_url":")" + u + R"(","width":10,"quality":0})", "quality"},
           Case{R"({"image_url":")" + u + R"(","width":10,"colour":"red"})", "colour"},
           Case{R"({"image_url":")" + u + R"(","width":10,"email":"a@b.c\r\nBcc: x@y.z"})",
                "email"},
           Case{R"({"image_url":"file:///etc/passwd","width":10})", "image_url"},
           Case{R"({"image_url":"http://169.254.169.254/latest","width":10})", "image_url"},
           Case{R"({"width":10})", "image_url"},
           Case{R"({"image_url":")" + u + R"(","width":10,"callback_url":"http://10.0.0.1/"})",
                "callback_url"},
       }) {
    auto r = shot_->post("/v1/thumbnails", c.body);
    EXPECT_GE(r.status, 400) << c.body << ": " << r.body;
    EXPECT_LT(r.status, 500) << c.body;
    EXPECT_EQ(r.content_type, "application/problem+json");
    EXPECT_EQ(json_string(r.json(), "field"), c.field) << c.body << ": " << r.body;
  }
  auto wrong_type = shot_->post("/v1/thumbnails", "x", {{"Content-Type", "text/plain"}});
  EXPECT_EQ(wrong_type.status, 415);
  EXPECT_EQ(json_string(wrong_type.json(), "field"), "Content-Type");
  auto bad_query = thumb("url=" + u + "&width=ten");
  EXPECT_EQ(bad_query.status, 400);
  EXPECT_EQ(json_string(bad_query.json(), "field"), "width");
  auto no_url = thumb("width=10");
  EXPECT_EQ(no_url.status, 400);
  EXPECT_EQ(json_string(no_url.json(), "field"), "url");
}

TEST_F(ThumbnailTest, WebhookArrivesSigned) {
  auto created = shot_->post("/v1/thumbnails", R"({"image_url":")" + url("/photo.png") +
                                                   R"(","width":20,"callback_url":")" +
                                                   hooks_->url("/hook") + R"("})");
  ASSERT_EQ(created.status, 202) << created.body;
  std::string id(json_string(created.json(), "id"));
  auto until = Clock::now() + Millis(60000);
  while (hooks_->hits("/hook") == 0 && Clock::now() < until)
    std::this_thread::sleep_for(Millis(50));
  ASSERT_EQ(hooks_->hits("/hook"), 1);
  auto req = hooks_->requests().back();
  auto body = parse_json(req.body);
  ASSERT_TRUE(body && body->is_object());
  EXPECT_EQ(json_string(body->as_object(), "id"), id);
  EXPECT_EQ(json_string(body->as_object(), "kind"), "thumbnail");
  EXPECT_EQ(json_string(body->as_object(), "state"), "succeeded");
  auto sig = req.header("x-shot-signature");
  auto comma = sig.find(",v1=");
  ASSERT_NE(comma, std::string::npos);
  std::string t = sig.substr(2, comma - 2);
  EXPECT_EQ(sig.substr(comma + 4), hmac_sha256_hex("s3cret", t + "." + req.body));
}

TEST_F(ThumbnailTest, EmailArrivesWithTheThumbnailAttached) {
  std::size_t before = sink_->messages().size();
  auto created = shot_->post("/v1/thumbnails", R"({"image_url":")" + url("/photo.png") +
                                                   R"(","width":60,"height":60,"fit":"inside",)"
                                                   R"("format":"png","email":"ada@example.com"})");
  ASSERT_EQ(created.status, 202) << created.body;
  ASSERT_TRUE(sink_->wait_for(before + 1, std::chrono::seconds(60)));
  auto mail = sink_->messages()[before];
  EXPECT_EQ(mail.from, "thumbs@shot.test");
  ASSERT_EQ(mail.rcpt.size(), 1u);
  EXPECT_EQ(mail.rcpt[0], "ada@example.com");
  EXPECT_EQ(mail_header(mail.data, "To"), "<ada@example.com>");
  auto parts = mime_parts(mail.data);
  ASSERT_EQ(parts.size(), 2u) << mail.data.substr(0, 2000);
  EXPECT_NE(parts[1].header("Content-Disposition").find("attachment"), std::string::npos);
  EXPECT_NE(parts[1].header("Content-Type").find("image/png"), std::string::npos);
  auto p = decode_picture(parts[1].body);
  ASSERT_TRUE(p) << "the attachment is not a picture";
  EXPECT_EQ(p->width, 60);
  EXPECT_EQ(p->height, 30);
  EXPECT_TRUE(near(p->at(5, 15), 255, 0, 0, 24));
  // Counted once delivered (the count moves right after the sink's 250).
  std::string metrics;
  for (int i = 0; i < 100; ++i) {
    metrics = shot_->get("/metrics").body;
    if (metrics.find("shot_emails_total{outcome=\"delivered\"} 0") == std::string::npos) break;
    std::this_thread::sleep_for(Millis(50));
  }
  EXPECT_NE(metrics.find("shot_emails_total{outcome=\"delivered\"}"), std::string::npos);
  EXPECT_EQ(metrics.find("shot_emails_total{outcome=\"delivered\"} 0"), std::string::npos);
}

TEST_F(ThumbnailTest, SeedRoutesAnswerAsTheThumbnailerDid) {
  auto health = shot_->get("/api/health");
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(health.body, R"({"status":"OK","message":"Server is up !"})");

  auto created = shot_->post("/api/thumb", R"({"image_url":")" + url("/photo.jpg") + R"("})");
  ASSERT_EQ(created.status, 201) << created.body;
  auto obj = created.json();
  ASSERT_EQ(obj.size(), 1u) << created.body;
  std::string id(json_string(obj, "req_id"));
  ASSERT_FALSE(id.empty());

  json::object answer;
  for (int i = 0; i < 1200; ++i) {
    auto r = shot_->get("/api/thumb/" + id);
    ASSERT_EQ(r.status, 200) << r.body;
    answer = r.json();
    std::string status(json_string(answer, "status"));
    ASSERT_TRUE(status == "queued" || status == "started" || status == "finished") << r.body;
    ASSERT_TRUE(answer.contains("image_base64"));
    if (status == "finished") break;
    EXPECT_TRUE(answer.at("image_base64").is_null());
    std::this_thread::sleep_for(Millis(50));
  }
  ASSERT_EQ(json_string(answer, "status"), "finished");
  ASSERT_EQ(answer.size(), 2u);
  std::string data(json_string(answer, "image_base64"));
  std::string prefix = "data:image/jpeg;base64,";
  ASSERT_EQ(data.rfind(prefix, 0), 0u) << data.substr(0, 40);
  auto bytes = base64_decode(std::string_view(data).substr(prefix.size()));
  ASSERT_TRUE(bytes);
  auto p = decode_picture(*bytes);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->width, 128);  // 640x480 inside 128x128
  EXPECT_EQ(p->height, 96);

  auto failed = shot_->post("/api/thumb", R"({"image_url":")" + url("/notes.txt") + R"("})");
  ASSERT_EQ(failed.status, 201);
  shot_->wait_job(std::string(json_string(failed.json(), "req_id")));
  auto f = shot_->get("/api/thumb/" + std::string(json_string(failed.json(), "req_id")));
  EXPECT_EQ(f.body, R"({"status":"failed","image_base64":null})");

  auto unknown = shot_->get("/api/thumb/no-such-request");
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(unknown.body, R"({"detail":"Thumb request not found"})");
  EXPECT_EQ(unknown.content_type, "application/json");
}

TEST_F(ThumbnailTest, CaptureOptionStoresTheThumbnailToo) {
  auto created = shot_->post(
      "/v1/jobs", R"({"urls":[")" + url("/red") +
                      R"("],"options":{"wait_until":"load","thumbnail":{"width":128,"height":80,)"
                      R"("format":"png"}}})");
  ASSERT_EQ(created.status, 202) << created.body;
  auto job = shot_->wait_job(std::string(json_string(created.json(), "id")), 120);
  ASSERT_EQ(json_string(job, "state"), "succeeded") << json::serialize(job);
  auto& item = job.at("items").as_array()[0].as_object();
  EXPECT_EQ(json_int(item, "width"), 1280);
  EXPECT_EQ(json_int(item, "height"), 800);
  auto* facts = json_object(item, "thumbnail");
  ASSERT_TRUE(facts) << json::serialize(item);
  EXPECT_EQ(json_int(*facts, "width"), 128);
  EXPECT_EQ(json_int(*facts, "height"), 80);
  EXPECT_FALSE(facts->contains("blob_key"));
  auto full = shot_->get(std::string(json_string(item, "result_url")));
  auto small = shot_->get(std::string(json_string(item, "thumbnail_url")));
  ASSERT_EQ(full.status, 200);
  ASSERT_EQ(small.status, 200) << small.body;
  EXPECT_EQ(small.content_type, "image/png");
  EXPECT_NE(full.body, small.body);
  auto p = decode_picture(small.body);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->width, 128);
  EXPECT_EQ(p->height, 80);
  EXPECT_TRUE(near(p->at(64, 40), 255, 0, 0, 8));
  EXPECT_EQ(json_int(*facts, "bytes"), static_cast<std::int64_t>(small.body.size()));

  auto bad = shot_->post("/v1/jobs", R"({"urls":[")" + url("/red") +
                                         R"("],"options":{"thumbnail":{"width":10,"fit":"x"}}})");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(json_string(bad.json(), "field"), "options.thumbnail.fit") << bad.body;
  auto pdf =
      shot_->post("/v1/jobs", R"({"urls":[")" + url("/red") +
                                  R"("],"options":{"format":"pdf","thumbnail":{"width":9}}})");
  EXPECT_EQ(pdf.status, 400);
  EXPECT_EQ(json_string(pdf.json(), "field"), "options.thumbnail") << pdf.body;
}

TEST_F(ThumbnailTest, OpenApiListsTheRoutes) {
  auto doc = shot_->get("/openapi.json").json();
  auto& paths = doc.at("paths").as_object();
  for (auto path : {"/v1/thumbnails", "/v1/thumbnail", "/v1/jobs/{id}/items/{n}/thumbnail",
                    "/api/health", "/api/thumb", "/api/thumb/{id}"})
    EXPECT_TRUE(paths.contains(path)) << path;
  auto& options =
      doc.at("components").at("schemas").at("CaptureOptions").at("properties").as_object();
  EXPECT_TRUE(options.contains("thumbnail"));
}

// Signed links work for the synchronous thumbnail as for /v1/screenshot.
TEST(ThumbnailAccess, SignedUrlsOpenTheSynchronousGet) {
  PageServer pages;
  pages.route("/p.png",
              [](const Request&) { return image_response(img::solid(50, 50, img::kGreen)); });
  TempDir dir;
  std::string keys = (dir.path() / "keys.txt").string();
  std::ofstream(keys) << "alice " << sha256_hex("alice-key") << "\n";
  ServeProcess shot({"--allow-host", "127.0.0.1:" + std::to_string(pages.port()), "--tabs", "1",
                     "--api-keys-file", keys, "--signing-secret", "sign-me"});
  ASSERT_TRUE(shot.start());
  std::string query = "url=" + pages.url("/p.png") + "&width=10";
  EXPECT_EQ(shot.get("/v1/thumbnail?" + query).status, 401);
  http::UrlSigner signer("sign-me");
  http::QueryParams q = {{"url", pages.url("/p.png")}, {"width", "10"}};
  auto ok = shot.get(signer.signed_target("/v1/thumbnail", q));
  ASSERT_EQ(ok.status, 200) << ok.body;
  auto p = decode_picture(ok.body);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->width, 10);
  // A parameter added after signing breaks the signature.
  EXPECT_EQ(shot.get(signer.signed_target("/v1/thumbnail", q) + "&height=99").status, 403);
  EXPECT_EQ(shot.post("/v1/thumbnails", R"({"image_url":"x","width":1})").status, 401);
}

}  // namespace
}  // namespace shot::testing
