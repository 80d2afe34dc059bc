//! Several requests in one buffer: each parse stops exactly at its own end.

use super::*;

#[test]
fn three_pipelined_gets_parse_one_after_another() {
    let buf = b"GET /a HTTP/1.1\r\nHost: h\r\n\r\nGET /b HTTP/1.1\r\nHost: h\r\n\r\nGET /c HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n";
    let mut head = RequestHead::new();
    let mut at = 0;
    let mut paths = Vec::new();
    while at < buf.len() {
        let rest = &buf[at..];
        assert_eq!(
            parse_request_head(rest, &HeadLimits::default(), &mut head),
            Ok(Status::Complete)
        );
        paths.push(head.slice(rest, head.path).to_vec());
        at += head.head_len;
    }
    assert_eq!(paths, [b"/a".to_vec(), b"/b".to_vec(), b"/c".to_vec()]);
    assert!(!head.keep_alive);
}

#[test]
fn a_content_length_body_is_skipped_to_reach_the_next_request() {
    let buf = b"POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhelloGET /b HTTP/1.1\r\nHost: h\r\n\r\n";
    let first = complete(buf);
    assert_eq!(first.body, BodyFraming::Length(5));
    let body_end = first.head_len + 5;
    assert_eq!(&buf[first.head_len..body_end], b"hello");
    let rest = &buf[body_end..];
    let second = complete(rest);
    assert_eq!(second.slice(rest, second.path), b"/b");
    assert_eq!(second.head_len, rest.len());
}

#[test]
fn a_chunked_body_stops_at_its_end_leaving_the_next_request() {
    let buf = b"POST /a HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\nGET /b HTTP/1.1\r\nHost: h\r\n\r\n";
    let first = complete(buf);
    assert_eq!(first.body, BodyFraming::Chunked);
    let (body, decoded) = decode_all(&buf[first.head_len..]).unwrap();
    assert_eq!(body, b"abc");
    assert!(decoded.done);
    let rest = &buf[first.head_len + decoded.consumed..];
    let second = complete(rest);
    assert_eq!(second.slice(rest, second.path), b"/b");
}

#[test]
fn a_partial_second_request_is_partial() {
    let buf = b"GET /a HTTP/1.1\r\nHost: h\r\n\r\nGET /b HTTP/1.1\r\nHo";
    let first = complete(buf);
    assert_eq!(parse(&buf[first.head_len..]).unwrap().0, Status::Partial);
}

#[test]
fn a_finished_decoder_consumes_nothing_more() {
    let mut d = ChunkedDecoder::new(100);
    assert!(d.decode(b"0\r\n\r\n", &mut |_| {}).unwrap().done);
    assert_eq!(
        d.decode(b"GET", &mut |_| {}).unwrap(),
        Decoded {
            consumed: 0,
            done: true
        }
    );
    assert!(d.is_done());
}
